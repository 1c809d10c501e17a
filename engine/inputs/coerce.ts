/**
 * D17 value coercions shared by step inputs and connector configs (see docs/steps.md "Input typing"). Pure:
 * each helper returns the typed value or `undefined` when the value does not have that type; callers word the
 * error (they know the input's name, never print its value [D18]).
 * @module
 */
import { parseBool } from "../config/settings.ts";

const INTEGER_REGEXP = /^[+-]?\d+$/;
const NUMBER_REGEXP = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** D17 booleans: `true`/`false`, 0/1, and the strings `true,1,yes,y,on` / `false,0,no,n,off,""`. */
export function asBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  return typeof value === "string" ? parseBool(value) : undefined;
}

/** Integers, or trimmed decimal strings (`" +5 "`). */
export function asInt(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && INTEGER_REGEXP.test(value.trim())) {
    return Number.parseInt(value.trim(), 10);
  }
  return undefined;
}

/** Finite numbers, or trimmed numeric strings. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && NUMBER_REGEXP.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** List coercion: null/absent -> [], a list -> itself, anything else -> [x] (a comma string is not split). */
export function toList(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** D17 text rendering of a scalar or structure: strings as is, everything else compact JSON. */
export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && !Number.isFinite(value)) return "null";
  return JSON.stringify(value) ?? "null";
}

/** JSON-ish inputs: a string whose trimmed form is `[…]` or `{…}` is parsed; a parse failure keeps the string. */
export function parseJsonish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const t = value.trim();
  const bracketed = (t.startsWith("[") && t.endsWith("]")) || (t.startsWith("{") && t.endsWith("}"));
  if (!bracketed) return value;
  try {
    return JSON.parse(t);
  } catch {
    return value;
  }
}

/** Whether a raw (unrendered) value holds a `{{…}}` template: its type is only known once rendered. */
export function isTemplated(value: unknown): boolean {
  return typeof value === "string" && value.includes("{{");
}
