// Casting of the fill steps (docs/steps.md "Excel: casting"): `none` keeps values, `schema` casts per column by
// its dtype, `basic` guesses per value.
import { type CellValue, parseIsoDate, parseIsoDatetime, toCellValue, valueText, XlDate } from "./_values.ts";

export const TYPE_CASTS = ["none", "basic", "schema"] as const;
export type TypeCast = typeof TYPE_CASTS[number];

const _INT_REGEXP = /^[+-]?\d+$/;
const _FLOAT_REGEXP = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const _SPECIAL_FLOATS: Record<string, number> = {
  nan: NaN,
  "+nan": NaN,
  "-nan": NaN,
  inf: Infinity,
  "+inf": Infinity,
  infinity: Infinity,
  "+infinity": Infinity,
  "-inf": -Infinity,
  "-infinity": -Infinity,
};
const _TRUE = new Set(["1", "true", "t", "yes", "y"]);
const _FALSE = new Set(["0", "false", "f", "no", "n"]);

/** An integer from text (surrounding blanks and a sign allowed); big ones stay exact as bigint. */
export function parseIntText(text: string): number | bigint | undefined {
  const t = text.trim();
  if (!_INT_REGEXP.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

/** A float from text (exponents, `nan`, `inf`). */
export function parseFloatText(text: string): number | undefined {
  const t = text.trim();
  if (_FLOAT_REGEXP.test(t)) return Number(t);
  const special = _SPECIAL_FLOATS[t.toLowerCase()];
  return special;
}

function _kept(v: unknown): boolean {
  return typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" || v instanceof XlDate ||
    v instanceof Date;
}

/** One value cast to `dtype` (`schema` mode). */
export function castSchemaValue(v: unknown, dtype: string): CellValue {
  if (v === null || v === undefined) return null;
  if (_kept(v)) return toCellValue(v);
  const s = valueText(v);
  if (s === "") return null;
  switch (dtype) {
    case "int":
      return parseIntText(s) ?? s;
    case "float":
      return parseFloatText(s) ?? s;
    case "bool": {
      const t = s.trim().toLowerCase();
      return _TRUE.has(t) ? true : _FALSE.has(t) ? false : s;
    }
    case "date":
      return parseIsoDate(s) ?? s;
    case "datetime":
      return parseIsoDatetime(s.endsWith("Z") ? s.slice(0, -1) : s) ?? s;
    default:
      return s;
  }
}

/** One value cast by guessing (`basic` mode); numbers are turned into text first. */
export function castBasicValue(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  const s = valueText(v);
  if (s === "") return null;
  const t = s.trim().toLowerCase();
  if (t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  if (/^[1-9]\d*$/.test(s)) return parseIntText(s)!;
  if (s.includes(".") || t.includes("e")) {
    const f = parseFloatText(s);
    if (f !== undefined) return f;
  }
  return parseIsoDatetime(s) ?? parseIsoDate(s) ?? s;
}

/** A row caster for a mode; `schema` looks up each column's dtype by name (unknown column -> string). */
export function rowCaster(
  mode: TypeCast,
  columns: readonly string[],
  dtypes: Readonly<Record<string, unknown>>,
): (row: readonly unknown[]) => CellValue[] {
  if (mode === "none") return (row) => row.map((v) => toCellValue(v));
  if (mode === "basic") return (row) => row.map(castBasicValue);
  const types = columns.map((c) =>
    Object.hasOwn(dtypes, c) ? String(dtypes[c]).trim().toLowerCase() : "string"
  );
  return (row) => {
    const out: CellValue[] = new Array(row.length);
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      const t = types[i] ?? "string";
      // Text into a string column is the common case: no parsing at all.
      out[i] = typeof v === "string" && t === "string" ? (v === "" ? null : v) : castSchemaValue(v, t);
    }
    return out;
  };
}
