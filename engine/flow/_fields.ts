// Field builders carrying the docs/yaml-spec.md coercions and messages. _zod_issues.ts turns the zod issues they
// raise into `schema:*` codes.
import { z } from "zod";

/** Marker prefix of an `unrecognized_keys` message: the allowed keys follow as JSON (for the D6 hint). */
export const ALLOWED_KEYS_MARKER = "\u0000allowed:";
export const MODEL_MSG_PREFIX = "Input should be a valid dictionary or instance of ";

/** Every int field schema, so the JSON Schema export can describe what they accept. */
export const INT_SCHEMAS: WeakSet<object> = new WeakSet();

/** Error options making a non-map a `schema:dict_type`. */
export const ONLY_MAP = { error: () => "Input should be a valid dictionary" } as const;

// Python int() on a stripped string, with underscores between digits, plus an integral ".0" tail (docs/yaml-spec.md).
const _INT_TEXT_REGEXP = /^[+-]?\d(?:_?\d)*(?:\.0*)?$/;

function _coerceInt(value: unknown, ctx: z.RefinementCtx): number {
  const fail = (code: string, message: string): never => {
    ctx.issues.push({ code: "custom", message, input: value, params: { code } });
    return z.NEVER;
  };
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value;
    if (Number.isFinite(value)) {
      return fail(
        "schema:int_from_float",
        "Input should be a valid integer, got a number with a fractional part",
      );
    }
    return fail(
      "schema:int_parsing",
      "Input should be a valid integer, unable to parse string as an integer",
    );
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (_INT_TEXT_REGEXP.test(text)) return Number(text.replaceAll("_", "").replace(/\.0*$/, ""));
    return fail(
      "schema:int_parsing",
      "Input should be a valid integer, unable to parse string as an integer",
    );
  }
  return fail("schema:int_type", "Input should be a valid integer");
}

/** An int field (docs/yaml-spec.md): ints, booleans, integral floats and numeric strings. */
export function intField(): z.ZodPipe<z.ZodUnknown, z.ZodTransform<number, unknown>> {
  const schema = z.unknown().transform(_coerceInt);
  INT_SCHEMAS.add(schema);
  return schema;
}

/** An exact-case enum; failures read `Input should be 'a', 'b' or 'c'` (schema:literal_error). */
export function enumField<const T extends readonly [string, ...string[]]>(
  values: T,
): z.ZodEnum<{ [K in T[number]]: K }> {
  const quoted = values.map((v) => `'${v}'`);
  const text = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  return z.enum(values, { error: () => `Input should be ${text}` }) as unknown as z.ZodEnum<
    { [K in T[number]]: K }
  >;
}

/** `str | None = None`. */
export function nullableString(): z.ZodDefault<z.ZodNullable<z.ZodString>> {
  return z.string().nullable().default(null);
}

/** A free-form map defaulting to a fresh `{}` (`null` is `schema:dict_type`). */
export function optionalMap(): z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodUnknown>> {
  return z.record(z.string(), z.unknown(), ONLY_MAP).default(() => ({}));
}

/**
 * A model with a fixed key set [D6]: a non-map is `schema:model_type` naming the model (or `schema:dict_type`
 * with `dictMessage`), unknown keys carry the allowed keys for the did-you-mean hint.
 */
export function modelObject<S extends z.ZodRawShape>(
  name: string,
  shape: S,
  options: { dictMessage?: boolean } = {},
): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "invalid_type") {
        return options.dictMessage ? "Input should be a valid dictionary" : `${MODEL_MSG_PREFIX}${name}`;
      }
      if (iss.code === "unrecognized_keys") return `${ALLOWED_KEYS_MARKER}${JSON.stringify(allowed)}`;
      return undefined;
    },
  });
}
