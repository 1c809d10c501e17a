/** Path lookup over plain maps (docs/templating.md). */

import { isMap } from "../types.ts";

export { isMap };

/** Result of a lookup: `found` false when any segment is absent or an intermediate is not a map. */
export type LookupResult = { found: true; value: unknown } | { found: false };

/** Look up `a.b.c` segment by segment; every intermediate value must be a map containing the key. */
export function lookupPath(ctx: unknown, path: string): LookupResult {
  let cur: unknown = ctx;
  for (const part of path.split(".")) {
    if (!isMap(cur) || !Object.hasOwn(cur, part)) return { found: false };
    cur = cur[part];
  }
  return { found: true, value: cur };
}

/** Root of a dotted path (`steps.s1.v` -> `steps`). */
export function pathRoot(path: string): string {
  const dot = path.indexOf(".");
  return dot === -1 ? path : path.slice(0, dot);
}
