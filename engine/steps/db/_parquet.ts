// Parquet output of db_extract_stream (docs/steps.md "db_extract_stream"): one row group per fetched batch,
// written through npm `hyparquet-writer` (loaded lazily) into the step's atomic file. Schema from the dtype map:
// int -> INT64, float -> DOUBLE, bool -> BOOLEAN, date -> DATE (INT32), datetime -> TIMESTAMP_MILLIS (INT64),
// anything else -> UTF8 string; every column nullable.
import { StepError } from "../../errors.ts";
import { SqlDate, SqlDecimal, SqlTimestamp, textOf } from "../../connectors/kinds/db_values.ts";
import type { Dtype } from "./_dtypes.ts";
import type { AtomicFile } from "./_tabular.ts";

const _DAY_MS = 86_400_000;

interface _Element {
  name: string;
  type?: string;
  repetition_type?: string;
  converted_type?: string;
  num_children?: number;
}

function _element(name: string, dtype: string | undefined): _Element {
  const base = { name, repetition_type: "OPTIONAL" };
  switch (dtype) {
    case "int":
      return { ...base, type: "INT64" };
    case "float":
      return { ...base, type: "DOUBLE" };
    case "bool":
      return { ...base, type: "BOOLEAN" };
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE" };
    case "datetime":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS" };
    default:
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
  }
}

/** The parquet schema (root first) of columns with their dtypes (unmapped -> string). */
export function parquetSchema(columns: readonly string[], dtypes: Record<string, string>): _Element[] {
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((c) => _element(c, Object.hasOwn(dtypes, c) ? dtypes[c] : undefined)),
  ];
}

function _bad(column: string, row: number, dtype: string, v: unknown): StepError {
  const kind = v instanceof Uint8Array
    ? "bytes"
    : typeof v === "object"
    ? (v as object).constructor.name
    : typeof v;
  return new StepError(`parquet column ${column}: row ${row} holds a ${kind} value, not ${dtype}`);
}

const _INT = /^[+-]?\d+$/;

function _daysOf(text: string): number {
  const ms = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(ms) ? NaN : Math.floor(ms / _DAY_MS);
}

/**
 * Convert one value to its parquet representation for `dtype` (`""` -> null outside string columns).
 * @throws {StepError} `parquet column <c>: row <n> holds a <kind> value, not <dtype>`.
 */
export function parquetValue(dtype: string | undefined, v: unknown, column: string, row: number): unknown {
  if (v === null || v === undefined) return null;
  if (dtype !== "int" && dtype !== "float" && dtype !== "bool" && dtype !== "date" && dtype !== "datetime") {
    return typeof v === "string" ? v : textOf(v);
  }
  if (v === "") return null;
  switch (dtype) {
    case "int":
      if (typeof v === "bigint") return v;
      if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
      if (v instanceof SqlDecimal && _INT.test(v.text)) return BigInt(v.text);
      if (typeof v === "string" && _INT.test(v.trim())) return BigInt(v.trim());
      if (typeof v === "boolean") return v ? 1n : 0n;
      break;
    case "float":
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      if (v instanceof SqlDecimal) return Number(v.text);
      if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
      break;
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === 0 || v === 1) return v === 1;
      break;
    case "date": {
      const days = v instanceof SqlDate || v instanceof SqlTimestamp
        ? _daysOf(v.text)
        : typeof v === "string"
        ? _daysOf(v)
        : v instanceof Date
        ? Math.floor(v.getTime() / _DAY_MS)
        : NaN;
      if (!Number.isNaN(days)) return days;
      break;
    }
    case "datetime": {
      const ms = v instanceof SqlTimestamp
        ? v.epochMillis()
        : v instanceof SqlDate
        ? _daysOf(v.text) * _DAY_MS
        : v instanceof Date
        ? v.getTime()
        : typeof v === "string"
        ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(" ", "T")}Z`)
        : NaN;
      if (!Number.isNaN(ms)) return ms;
      break;
    }
  }
  throw _bad(column, row, dtype, v);
}

/** Writes batches as row groups into `file`; `finish()` writes the footer. */
export interface ParquetSink {
  write(rows: readonly (readonly unknown[])[]): Promise<void>;
  finish(): Promise<void>;
}

export async function openParquetSink(
  file: AtomicFile,
  columns: readonly string[],
  dtypes: Record<string, string>,
): Promise<ParquetSink> {
  const { ParquetWriter, ByteWriter } = await import("hyparquet-writer");
  // A ByteWriter that hands every row group to the atomic file, so memory holds one batch at a time.
  class FileSink extends ByteWriter {
    async flush(): Promise<void> {
      const chunk = new Uint8Array(this.buffer, 0, this.index).slice();
      this.index = 0;
      await file.write(chunk);
    }
    override finish(): Promise<void> {
      return this.flush();
    }
  }
  const writer = new FileSink(1 << 20);
  const schema = parquetSchema(columns, dtypes);
  const pw = new ParquetWriter({ writer, schema: schema as never });
  const types = columns.map((c) => (Object.hasOwn(dtypes, c) ? dtypes[c] : undefined) as Dtype | undefined);
  let rowBase = 0;
  return {
    async write(rows) {
      if (rows.length === 0) return;
      const columnData = columns.map((name, j) => {
        const data = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          data[i] = parquetValue(types[j], rows[i]![j], name, rowBase + i + 1);
        }
        return { name, data };
      });
      rowBase += rows.length;
      await pw.write({ columnData, rowGroupSize: rows.length });
    },
    async finish() {
      await pw.finish();
    },
  };
}
