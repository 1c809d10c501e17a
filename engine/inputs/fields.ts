/**
 * Zod field helpers for step inputs and connector configs. Each helper owns one D17 typing rule (see
 * docs/steps.md "Input typing"), so no step or driver parses its own values:
 *
 * - absent key: an error for a required field (reported as missing), the default otherwise;
 * - present `null`: the default for optional fields; for a required one it is present but must still type-check;
 * - wrong type: `must be a boolean|an integer|…`, prefixed by the caller with the field's label.
 *
 * The same schema checks raw values at validate time (a field holding a `{{…}}` template is skipped, its type
 * is only known once rendered) and rendered values at run time (then it parses them into typed values).
 * @module
 */
import { z } from "zod";
import { asBool, asInt, asNumber, parseJsonish, toList, toText } from "./coerce.ts";
import { isMap } from "../types.ts";

/** Marks a zod issue raised by these helpers; `kind` decides how it is reported. */
export interface FieldIssueParams {
  af: "missing" | "invalid";
  /** Use the message as is (a contract message naming the input itself), not `<label> <message>`. */
  verbatim?: boolean;
  /** Validate-time issue code when it is not the generic one (e.g. `semantic:external_process_log_mode`). */
  code?: string;
}

// Unknown keys are reported by zod as one `unrecognized_keys` issue; the allowed keys travel in its message so
// the reporter can add a "did you mean" hint without walking the schema.
export const ALLOWED_KEYS_MARK = "\u0000allowed:";

type _Ctx = z.core.$RefinementCtx;

/** Report a typing problem from inside a transform. */
export function fail(ctx: _Ctx, message: string, params: Omit<FieldIssueParams, "af"> = {}): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message, params: { af: "invalid", ...params } satisfies FieldIssueParams });
  return z.NEVER;
}

function _missing(ctx: _Ctx): typeof z.NEVER {
  ctx.addIssue({
    code: "custom",
    message: "is required",
    params: { af: "missing" } satisfies FieldIssueParams,
  });
  return z.NEVER;
}

/** Options shared by scalar fields: no `default` = required. */
export interface FieldOptions<T> {
  /** Used when the key is absent or `null`; omit to make the field required. */
  default?: T;
}

/**
 * A leaf field: `convert` types a present, non-default value or calls `fail`. The building block of every helper
 * below; steps use it for one-off rules (`field((v, ctx) => …)`).
 */
export function field<T>(
  convert: (value: unknown, ctx: _Ctx) => T,
  options: { required: boolean; fallback?: T; nullIsDefault?: boolean } = { required: true },
): z.ZodType<T> {
  // An optional field must be `.optional()` on the input side, or zod reports an absent key before the
  // transform can apply the default.
  const input = options.required ? z.unknown() : z.unknown().optional();
  return input.transform((value, ctx): T => {
    if (value === undefined) return options.required ? _missing(ctx) : options.fallback as T;
    if (value === null && !options.required && options.nullIsDefault !== false) return options.fallback as T;
    return convert(value, ctx);
  }) as unknown as z.ZodType<T>;
}

function _scalar<T>(
  options: FieldOptions<T | null> | undefined,
  convert: (value: unknown, ctx: _Ctx) => T,
): z.ZodType<T> {
  const required = options === undefined || !("default" in options);
  return field(convert, { required, fallback: options?.default as T });
}

function _min(value: number, min: number | undefined, ctx: _Ctx): number {
  return min !== undefined && value < min ? fail(ctx, `must be >= ${min}`) : value;
}

/** D17 boolean (`"false"`, `"0"`, `"no"` are false). */
export function bool(options?: FieldOptions<boolean>): z.ZodType<boolean> {
  return _scalar(options, (v, ctx) => asBool(v) ?? fail(ctx, "must be a boolean"));
}

/** Integer (or a trimmed decimal string), optionally `>= min`. */
export function int(options?: FieldOptions<number> & { min?: number }): z.ZodType<number>;
export function int(options: { default: null; min?: number }): z.ZodType<number | null>;
export function int(options?: FieldOptions<number | null> & { min?: number }): z.ZodType<number | null> {
  return _scalar(options, (v, ctx) => {
    const n = asInt(v);
    return n === undefined ? fail(ctx, "must be an integer") : _min(n, options?.min, ctx);
  });
}

/** Finite number (or a trimmed numeric string), optionally `>= min`. */
export function number(options?: FieldOptions<number> & { min?: number }): z.ZodType<number>;
export function number(options: { default: null; min?: number }): z.ZodType<number | null>;
export function number(options?: FieldOptions<number | null> & { min?: number }): z.ZodType<number | null> {
  return _scalar(options, (v, ctx) => {
    const n = asNumber(v);
    return n === undefined ? fail(ctx, "must be a number") : _min(n, options?.min, ctx);
  });
}

/** A string. `scalars: true` also takes numbers and booleans as their D17 text; `nonEmpty` refuses "". */
export function text(
  options?: FieldOptions<string> & { scalars?: boolean; nonEmpty?: boolean },
): z.ZodType<string>;
export function text(
  options: { default: null; scalars?: boolean; nonEmpty?: boolean },
): z.ZodType<string | null>;
export function text(
  options?: FieldOptions<string | null> & { scalars?: boolean; nonEmpty?: boolean },
): z.ZodType<string | null> {
  return _scalar(options, (v, ctx) => {
    const scalar = typeof v === "number" || typeof v === "boolean";
    const s = typeof v === "string" ? v : options?.scalars && scalar ? toText(v) : undefined;
    if (s === undefined || (options?.nonEmpty && s === "")) {
      return fail(ctx, options?.nonEmpty ? "must be a non-empty string" : "must be a string");
    }
    return s;
  });
}

/**
 * A path string (resolved later through the sandbox, see `StepContext.paths`). `""` counts as absent when
 * the field has a default, so `cwd: ""` means "no cwd".
 */
export function path(options?: FieldOptions<string>): z.ZodType<string>;
export function path(options: { default: null }): z.ZodType<string | null>;
export function path(options?: FieldOptions<string | null>): z.ZodType<string | null> {
  const required = options === undefined || !("default" in options);
  return field((v, ctx) => {
    if (v === "" && !required) return options?.default ?? null;
    return typeof v === "string" && v !== "" ? v : fail(ctx, "must be a path string");
  }, { required, fallback: options?.default ?? null });
}

/** One of `values`, compared on the trimmed, lower-cased D17 text; `""` counts as absent when a default exists. */
export function oneOf<const V extends string>(
  values: readonly V[],
  options: FieldOptions<V> & { message?: (raw: string) => string; code?: string } = {},
): z.ZodType<V> {
  const required = !("default" in options);
  return field((v, ctx) => {
    const raw = toText(v);
    const t = raw.trim().toLowerCase();
    if (t === "" && !required) return options.default as V;
    if ((values as readonly string[]).includes(t)) return t as V;
    return options.message
      ? fail(ctx, options.message(raw), { verbatim: true, code: options.code })
      : fail(ctx, `must be one of ${JSON.stringify(values)}`, { code: options.code });
  }, { required, fallback: options.default });
}

/** D17 list coercion (null -> [], x -> [x]) with every item checked by `item`. */
export function list<T>(item: z.ZodType<T>, options: { required?: boolean } = {}): z.ZodType<T[]> {
  const pre = field((v) => toList(v), { required: options.required ?? false, fallback: [] });
  return pre.pipe(z.array(item)) as unknown as z.ZodType<T[]>;
}

/** A list exactly (no scalar -> [x] coercion): `must be a list`. */
export function strictList<T>(item: z.ZodType<T>, options: { required?: boolean } = {}): z.ZodType<T[]> {
  const required = options.required ?? false;
  const pre = field((v, ctx) => Array.isArray(v) ? v : fail(ctx, "must be a list"), {
    required,
    fallback: [],
  });
  return pre.pipe(z.array(item)) as unknown as z.ZodType<T[]>;
}

/** A strict map with a fixed shape: unknown keys are errors with a "did you mean" hint [D6]. */
export function fixedMap<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const allowed = ALLOWED_KEYS_MARK + JSON.stringify(Object.keys(shape));
  return z.strictObject(shape, {
    error: (iss) => iss.code === "unrecognized_keys" ? allowed : undefined,
  });
}

/** A nested fixed map as an input (`log:`, `retry:`); absent or null -> `{}` unless required. */
export function map<S extends z.ZodRawShape>(
  shape: S,
  options: { required?: boolean } = {},
): z.ZodType<z.output<z.ZodObject<S, z.core.$strict>>> {
  const pre = field(
    (v, ctx) => isMap(v) ? v : fail(ctx, "must be a map"),
    { required: options.required ?? false, fallback: {} },
  );
  return pre.pipe(fixedMap(shape)) as unknown as z.ZodType<z.output<z.ZodObject<S, z.core.$strict>>>;
}

/** A free-form map (`env:`, `outputs:`); absent or null -> `{}` unless required. */
export function record(options: { required?: boolean } = {}): z.ZodType<Record<string, unknown>> {
  return field((v, ctx) => isMap(v) ? v : fail(ctx, "must be a map"), {
    required: options.required ?? false,
    fallback: {},
  });
}

/** JSON-ish input: a `[…]`/`{…}` string is JSON-parsed (a parse failure keeps the string); others pass. */
export function jsonish(options: { required?: boolean } = {}): z.ZodType<unknown> {
  return field((v) => parseJsonish(v), { required: options.required ?? false, fallback: null });
}

/** Anything; `required` only checks that the key is present (a present null passes). */
export function any(options: { required?: boolean } = {}): z.ZodType<unknown> {
  return field((v) => v, { required: options.required ?? false, fallback: undefined, nullIsDefault: false });
}
