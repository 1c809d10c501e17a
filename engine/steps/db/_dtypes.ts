// Column dtypes (docs/steps.md "Column dtypes"): the vocabulary bool/int/float/date/datetime/string, from the
// driver's declared column types when it has them, else from the first non-null sampled value of the column.
import { batchStream } from "../../connectors/kinds/db.ts";
import { SqlDate, SqlDecimal, SqlTimestamp } from "../../connectors/kinds/db_values.ts";

export type Dtype = "bool" | "int" | "float" | "date" | "datetime" | "string";

export const DECIMAL_WARNING = "parquet dtype: Decimal downgraded to float (precision loss possible)";

/** The dtype of a declared type name, by substring; `decimal` tells whether a decimal became a float. */
export function dtypeOfDeclared(declared: string): { dtype: Dtype; decimalToFloat: boolean } {
  const t = declared.toLowerCase();
  const is = (s: string) => t.includes(s);
  if (is("bool")) return { dtype: "bool", decimalToFloat: false };
  if (is("timestamp") || is("datetime")) return { dtype: "datetime", decimalToFloat: false };
  if (is("date")) return { dtype: "date", decimalToFloat: false };
  if (is("interval") || is("point")) return { dtype: "string", decimalToFloat: false };
  if (is("decimal") || is("number") || is("numeric")) {
    const scale = /\(\s*\d+\s*,\s*(-?\d+)\s*\)/.exec(t)?.[1];
    if (scale !== undefined && Number(scale) === 0) return { dtype: "int", decimalToFloat: false };
    return { dtype: "float", decimalToFloat: true };
  }
  if (is("int")) return { dtype: "int", decimalToFloat: false };
  if (is("float") || is("double") || is("real")) return { dtype: "float", decimalToFloat: false };
  return { dtype: "string", decimalToFloat: false };
}

/** The dtype of a sampled value (a number with a fraction is a float, else an int). */
export function dtypeOfValue(v: unknown): Dtype {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (v instanceof SqlDecimal) return /^-?\d+$/.test(v.text) ? "int" : "float";
  if (v instanceof SqlTimestamp || v instanceof Date) return "datetime";
  if (v instanceof SqlDate) return "date";
  return "string";
}

/**
 * The dtype map of a result: per column the declared type when the driver gave one, else the first non-null
 * value among `sample`; a column of nulls only is `string`. `decimalToFloat` names columns downgraded.
 */
export function inferDtypes(
  columns: readonly string[],
  declared: readonly (string | null)[],
  sample: readonly (readonly unknown[])[],
): { dtypes: Record<string, Dtype>; decimalToFloat: string[] } {
  const dtypes: Record<string, Dtype> = {};
  const decimalToFloat: string[] = [];
  columns.forEach((name, i) => {
    const d = declared[i];
    if (d !== null && d !== undefined && d !== "") {
      const r = dtypeOfDeclared(d);
      dtypes[name] = r.dtype;
      if (r.decimalToFloat) decimalToFloat.push(name);
      return;
    }
    let dtype: Dtype = "string";
    for (const row of sample) {
      const v = row[i];
      if (v !== null && v !== undefined) {
        dtype = dtypeOfValue(v);
        break;
      }
    }
    dtypes[name] = dtype;
  });
  return { dtypes, decimalToFloat };
}

/**
 * Split the first `n` rows off a batch stream without losing any: `sample` holds them, `rest` yields every
 * batch (those already read first).
 */
export async function peekRows(
  batches: AsyncIterable<unknown[][]>,
  n: number,
): Promise<{ sample: unknown[][]; rest: AsyncIterable<unknown[][]> }> {
  const it = batches[Symbol.asyncIterator]();
  const read: unknown[][][] = [];
  let count = 0;
  let finished = false;
  while (count < n) {
    const r = await it.next();
    if (r.done) {
      finished = true;
      break;
    }
    read.push(r.value);
    count += r.value.length;
  }
  const sample = read.flat().slice(0, n);
  const rest = batchStream(
    (async function* () {
      yield* read;
      if (finished) return;
      while (true) {
        const r = await it.next();
        if (r.done) break;
        yield r.value;
      }
    })(),
    () => it.return?.(),
  );
  return { sample, rest };
}
