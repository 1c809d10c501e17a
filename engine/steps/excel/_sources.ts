// Sources of `excel_fill_from_file`: CSV/TSV read as a stream of text records, parquet (npm `hyparquet`, loaded
// lazily) one row group at a time. Memory stays flat in the row count.
import { StepError } from "../../errors.ts";
import { CsvParser, CsvSyntaxError, type ReadDialect } from "./_csv_reader.ts";
import { toCellValue } from "./_values.ts";

export type SourceFormat = "csv" | "tsv" | "parquet";

export interface SourceSpec {
  path: string;
  format: SourceFormat;
  encoding: string;
  dialect: ReadDialect;
}

/** Rows in batches; `close()` releases the file early (it is released at the end of iteration too). */
export interface RowStream {
  batches: AsyncIterable<unknown[][]>;
  close(): void;
}

const _CHUNK = 1 << 16;

/** Decodes bytes to text in chunks (`stream: true` keeps a split multi-byte sequence for the next chunk). */
export interface Decoder {
  decode(bytes?: Uint8Array, options?: { stream?: boolean }): string;
}

/** Exact ISO-8859-1 / ASCII: one code point per byte (WHATWG's "latin1" label means windows-1252). */
function _singleByte(max: number, encoding: string): Decoder {
  return {
    decode(bytes) {
      if (!bytes) return "";
      let out = "";
      for (let i = 0; i < bytes.length; i += 8192) {
        const part = bytes.subarray(i, i + 8192);
        if (max < 0xff && part.some((b) => b > max)) {
          throw new TypeError(`The encoded data is not valid ${encoding}`);
        }
        out += String.fromCharCode(...part);
      }
      return out;
    },
  };
}

/**
 * A decoder for a Python-style encoding name: `utf-8` (a byte-order mark is dropped), `utf-8-sig`, `latin-1`
 * (exact), `ascii`, `cp1252`, `utf-16`, and other WHATWG labels. Invalid bytes fail the read.
 */
export function decoderFor(encoding: string): Decoder {
  const e = encoding.trim().toLowerCase().replaceAll("_", "-");
  if (["latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1"].includes(e)) return _singleByte(0xff, encoding);
  if (e === "ascii" || e === "us-ascii") return _singleByte(0x7f, encoding);
  const label = e === "utf-8-sig" || e === "utf8" || e === "u8"
    ? "utf-8"
    : e === "utf-16"
    ? "utf-16le"
    : /^cp\d+$/.test(e)
    ? `windows-${e.slice(2)}`
    : e;
  try {
    return new TextDecoder(label, { fatal: true });
  } catch {
    throw new StepError(`Unsupported encoding: ${encoding}`);
  }
}

/** The records of a CSV/TSV file, in batches of decoded chunks. */
async function* _csvBatches(spec: SourceSpec, file: Deno.FsFile): AsyncGenerator<unknown[][]> {
  const decoder = decoderFor(spec.encoding);
  const parser = new CsvParser(spec.dialect);
  const buf = new Uint8Array(_CHUNK);
  try {
    while (true) {
      const n = await file.read(buf);
      if (n === null) break;
      const rows = parser.push(decoder.decode(buf.subarray(0, n), { stream: true }));
      if (rows.length > 0) yield rows;
    }
    const tail = parser.push(decoder.decode());
    const last = parser.end();
    if (tail.length + last.length > 0) yield [...tail, ...last];
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new StepError(`${spec.path}: ${err.message}`);
    if (err instanceof TypeError && /decode|encoded/i.test(err.message)) {
      throw new StepError(`${spec.path}: not valid ${spec.encoding} text`);
    }
    throw err;
  }
}

/** An AsyncBuffer (hyparquet's file interface) over an open file. */
function _asyncBuffer(file: Deno.FsFile, size: number) {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const out = new Uint8Array(Math.max(0, stop - start));
      await file.seek(start, Deno.SeekMode.Start);
      let off = 0;
      while (off < out.length) {
        const n = await file.read(out.subarray(off));
        if (n === null) break;
        off += n;
      }
      return out.buffer;
    },
  };
}

interface _SchemaElement {
  name: string;
  num_children?: number;
  converted_type?: string;
  logical_type?: { type?: string };
}

/** Parquet column names (top level) and which ones are DATE columns. */
function _parquetColumns(schema: readonly _SchemaElement[]): { names: string[]; dateOnly: boolean[] } {
  const names: string[] = [];
  const dateOnly: boolean[] = [];
  let i = 1;
  const root = schema[0]?.num_children ?? 0;
  for (let k = 0; k < root && i < schema.length; k++) {
    const el = schema[i]!;
    names.push(el.name);
    dateOnly.push(el.converted_type === "DATE" || el.logical_type?.type === "DATE");
    // Skip a nested group's descendants.
    let pending = el.num_children ?? 0;
    i++;
    while (pending > 0 && i < schema.length) {
      pending += (schema[i]!.num_children ?? 0) - 1;
      i++;
    }
  }
  return { names, dateOnly };
}

/** Open a parquet file: its column names and its rows (native values as cell values) by row group. */
export async function openParquet(
  path: string,
): Promise<{ columns: string[]; rowCount: number; rows: RowStream }> {
  const { parquetMetadataAsync, parquetRead } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const file = await Deno.open(path, { read: true });
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  try {
    const size = (await file.stat()).size;
    const buffer = _asyncBuffer(file, size);
    const metadata = await parquetMetadataAsync(buffer);
    const { names, dateOnly } = _parquetColumns(metadata.schema as unknown as _SchemaElement[]);
    const rowCount = Number(metadata.num_rows);
    const batches = async function* (): AsyncGenerator<unknown[][]> {
      try {
        let start = 0;
        for (const group of metadata.row_groups) {
          const end = start + Number(group.num_rows);
          let rows: unknown[][] = [];
          await parquetRead({
            file: buffer,
            metadata,
            compressors,
            rowStart: start,
            rowEnd: end,
            rowFormat: "array",
            onComplete: (r: unknown[][]) => {
              rows = r;
            },
          });
          start = end;
          yield rows.map((row) => row.map((v, i) => toCellValue(v, dateOnly[i] ?? false)));
        }
      } finally {
        close();
      }
    };
    return { columns: names, rowCount, rows: { batches: batches(), close } };
  } catch (err) {
    close();
    throw new StepError(`${path}: not a readable parquet file: ${(err as Error).message}`, { cause: err });
  }
}

/** Open a CSV/TSV file as a record stream. */
export async function openDelimited(spec: SourceSpec): Promise<RowStream> {
  const file = await Deno.open(spec.path, { read: true });
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  async function* batches(): AsyncGenerator<unknown[][]> {
    try {
      yield* _csvBatches(spec, file);
    } finally {
      close();
    }
  }
  return { batches: batches(), close };
}
