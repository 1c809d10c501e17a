// Input typing shared by built-ins (builtins.md §0.2, D17). Pure: every helper either returns the typed value or
// throws a StepError whose message names the input (`<type> inputs.<name> must be …`), never its value (D18).
import { parseBool } from "../config/settings.ts";
import { StepError } from "../errors.ts";

/** Bad step inputs (same code as the other built-ins). */
export const INPUT_ERROR = { code: "step:invalid_input" } as const;

const INTEGER_REGEXP = /^[+-]?\d+$/;
const NUMBER_REGEXP = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `"<type> inputs.<name>"`, the prefix of every typing error. */
export function inputLabel(type: string, name: string): string {
  return `${type} inputs.${name}`;
}

/** D17 booleans: "false"/"0"/"no" are false (upstream used Python truthiness). `null`/absent -> `fallback`. */
export function toBool(value: unknown, label: string, fallback: boolean): boolean {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  const parsed = typeof value === "string" ? parseBool(value) : undefined;
  if (parsed !== undefined) return parsed;
  throw new StepError(`${label} must be a boolean`, INPUT_ERROR);
}

/** The boolean a literal holds, or `undefined` when it is not a recognisable literal (templates, junk). */
export function literalBool(value: unknown): boolean | undefined {
  try {
    return toBool(value, "", false);
  } catch {
    return undefined;
  }
}

/** Integers or trimmed decimal strings (`" +5 "`). `null`/absent -> `fallback`. */
export function toInt<T extends number | null>(value: unknown, label: string, fallback: T): number | T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && INTEGER_REGEXP.test(value.trim())) {
    return Number.parseInt(value.trim(), 10);
  }
  throw new StepError(`${label} must be an integer`, INPUT_ERROR);
}

/** Finite numbers or trimmed numeric strings. `null`/absent -> `fallback`. */
export function toNumber<T extends number | null>(value: unknown, label: string, fallback: T): number | T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && NUMBER_REGEXP.test(value.trim())) return Number(value.trim());
  throw new StepError(`${label} must be a number`, INPUT_ERROR);
}

/** List coercion (§0.2): null -> [], list -> itself, anything else -> [x] (a comma string is not split). */
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

/** A plain (non-array) object, as produced by YAML maps and JSON objects. */
export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
