/**
 * Text rendering of values for inline templates and messages (docs/templating.md) [D17].
 * @module
 */

/**
 * Render a value as text: strings as is, numbers as the shortest round-trip decimal, `true`/`false`,
 * `null`, lists and maps as compact standard JSON. Upstream used Python `str()` (`None`, `True`,
 * `[1, 'R']`); we never leak Python-isms [D17].
 *
 * @example Usage
 * ```ts
 * import { valueToText } from "./value_text.ts";
 * import assert from "node:assert/strict";
 * assert.equal(valueToText([1, "R", { x: "f" }]), '[1,"R",{"x":"f"}]');
 * assert.equal(valueToText(null), "null");
 * ```
 */
export function valueToText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return JSON.stringify(value) ?? "null";
}
