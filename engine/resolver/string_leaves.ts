/**
 * String leaves of a nested value with their locs, for the per-leaf template scan (docs/validation.md) [D9].
 * @module
 */
import { indexLoc, keyLoc } from "./_loc.ts";
import { isMap } from "./_lookup.ts";

/** One string leaf and where it sits (`inputs.items[0]`, `config.headers.Authorization`). */
export interface StringLeaf {
  loc: string;
  value: string;
}

/**
 * Every string leaf of `value` in walk order. Map keys join with `.`, list indices as `[n]`; an empty
 * `basePath` yields locs without a leading dot, and a bare string at the top gets `basePath` itself.
 *
 * @example Usage
 * ```ts
 * import { stringLeaves } from "./string_leaves.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(stringLeaves({ items: ["a", 1] }, "inputs"), [{ loc: "inputs.items[0]", value: "a" }]);
 * ```
 */
export function stringLeaves(value: unknown, basePath: string): StringLeaf[] {
  const out: StringLeaf[] = [];
  _walk(value, basePath, out);
  return out;
}

function _walk(value: unknown, loc: string, out: StringLeaf[]): void {
  if (typeof value === "string") {
    out.push({ loc, value });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => _walk(item, indexLoc(loc, i), out));
  } else if (isMap(value)) {
    for (const [key, item] of Object.entries(value)) _walk(item, keyLoc(loc, key), out);
  }
}
