// Field builders for the manifest schema: every rule gives its own contract message (docs/bundles.md), so the
// checks are written as transforms that fail with that text; unknown keys carry the allowed keys for the hint.
import { z } from "zod";
import { parseBool } from "../config/settings.ts";
import { isMap } from "../types.ts";

/** Marker of an `unrecognized_keys` message: JSON `{allowed, other}` follows (other = keys of other types). */
export const KEYS_MARKER = "\u0000keys:";

const _FAIL = Symbol("fail");

/** A field checked by `fn`, which returns the value or calls `fail(message)`; `undefined` = key absent. */
export function checked<T>(
  fn: (value: unknown, fail: (message: string) => never) => T,
): z.ZodPipe<z.ZodOptional<z.ZodUnknown>, z.ZodTransform<Awaited<T>, unknown>> {
  return z.unknown().optional().transform((value, ctx) => {
    let message = "";
    const fail = (m: string): never => {
      message = m;
      throw _FAIL;
    };
    try {
      return fn(value, fail) as Awaited<T>;
    } catch (err) {
      if (err !== _FAIL) throw err;
      ctx.issues.push({ code: "custom", message, input: value });
      return z.NEVER;
    }
  });
}

/** A mapping with a fixed key set; a non-map (or a missing required one) fails with `typeMessage`. */
export function strictMap<S extends z.ZodRawShape>(
  shape: S,
  typeMessage: string,
  otherKeys: Readonly<Record<string, string>> = {},
): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "invalid_type") return typeMessage;
      if (iss.code === "unrecognized_keys") {
        return `${KEYS_MARKER}${JSON.stringify({ allowed, other: otherKeys })}`;
      }
      return undefined;
    },
  });
}

/** `null`/absent -> `fallback`; otherwise a mapping (or `typeMessage`). */
export { isMap };

/** A non-blank string (trimmed) or a failure with `message`. */
export function nonBlank(value: unknown, fail: (m: string) => never, message: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(message);
  return (value as string).trim();
}

/** An optional string field: absent/null -> undefined; a blank or non-string -> `message`. */
export function optionalNonBlank(
  value: unknown,
  fail: (m: string) => never,
  message: string,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  return nonBlank(value, fail, message);
}

/** Core boolean rules [D17]: booleans, 0/1, and the usual words; absent/null -> `fallback`. */
export function boolValue(
  value: unknown,
  fail: (m: string) => never,
  message: string,
  fallback = false,
): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === "string") {
    const b = parseBool(value);
    if (b !== undefined) return b;
  }
  return fail(message);
}

/** One of `values` after trim + lower-case; absent/null/blank -> `fallback`. */
export function choice<const T extends string>(
  value: unknown,
  fail: (m: string) => never,
  options: { values: readonly T[]; fallback: T; message: string; aliases?: Readonly<Record<string, T>> },
): T {
  if (value === undefined || value === null) return options.fallback;
  if (typeof value !== "string") return fail(options.message);
  const v = value.trim().toLowerCase();
  if (v === "") return options.fallback;
  const aliased = options.aliases?.[v] ?? v;
  if (!(options.values as readonly string[]).includes(aliased)) return fail(options.message);
  return aliased as T;
}

export { tidyRelPath, unsafeRelPath } from "./_paths.ts";
