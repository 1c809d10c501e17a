/**
 * `db_extract_stream`: stream SQL -> TSV, CSV or parquet with a SHA-256 (docs/steps.md "db_extract_stream").
 * Batches of `fetch_size` rows go from the connector's `fetchmany` to `<output>.tmp` one at a time (memory flat
 * in the row count); the tmp is renamed on success and removed on any failure.
 * @module
 */
import { StepError } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import { type DbConnector, DbCopyFallback, type DbStream } from "../../connectors/kinds/db.ts";
import type { JsonObject } from "../../types.ts";
import { defineStep } from "../types.ts";
import { checkParams, closeStream, dtypeMapField, paramsOf, QUERY_INPUTS, queryBatches } from "./_common.ts";
import { DECIMAL_WARNING, inferDtypes, peekRows } from "./_dtypes.ts";
import { openParquetSink } from "./_parquet.ts";
import { type Dialect, encoderFor, type Quoting, rowFormatter, writeAtomically } from "./_tabular.ts";

const _FILE_OPTIONS = {
  encoding: fields.text({ default: null }),
  delimiter: fields.text({ default: null }),
  quotechar: fields.text({ default: null }),
  escapechar: fields.text({ default: null }),
  doublequote: fields.bool({ default: null as unknown as boolean }),
  quoting: fields.text({ default: null }),
  linefeed: fields.text({ default: null }),
};

type _FileOptions = { [K in keyof typeof _FILE_OPTIONS]: unknown };

const _QUOTING: readonly Quoting[] = ["minimal", "all", "none", "nonnumeric"];

function _one(name: string, value: string): string {
  if ([...value].length !== 1) {
    throw new StepError(`db_extract_stream "${name}" must be a 1-character string`);
  }
  return value;
}

/** File options: a non-null top-level key wins, else the same key of `file:`, else the format's default. */
export function dialectOf(
  format: "tsv" | "csv",
  top: _FileOptions,
  nested: Partial<_FileOptions>,
): Dialect & { encoding: string } {
  const pick = <T>(key: keyof _FileOptions, dflt: T): T => (top[key] ?? nested[key] ?? dflt) as T;
  const quoting = String(pick("quoting", "minimal")).trim().toLowerCase() as Quoting;
  const escapechar = pick<string | null>("escapechar", null);
  return {
    encoding: pick("encoding", "utf-8"),
    delimiter: _one("delimiter", pick("delimiter", format === "tsv" ? "\t" : ",")),
    quotechar: _one("quotechar", pick("quotechar", '"')),
    escapechar: escapechar === null || escapechar === "" ? null : _one("escapechar", escapechar),
    doublequote: pick("doublequote", true),
    quoting: _QUOTING.includes(quoting) ? quoting : "minimal",
    linefeed: pick("linefeed", "\n"),
  };
}

/** Whether the server's CSV (`csvCopy`) can write this dialect byte for byte (docs/steps.md "The COPY path"). */
function _copyDialect(d: Dialect & { encoding: string }): boolean {
  const enc = d.encoding.trim().toLowerCase().replace(/_/g, "-");
  return d.quoting === "minimal" && d.doublequote === true && d.escapechar === null && d.linefeed === "\n" &&
    ["utf-8", "utf8", "utf-8-sig"].includes(enc);
}

/** Rows in CSV bytes: line feeds outside quoted cells (a quoted cell may hold line breaks). */
class _RowCounter {
  rows = 0;
  #inQuote = false;
  constructor(readonly quote: number) {}
  add(chunk: Uint8Array): void {
    const q = this.quote;
    if (!this.#inQuote && chunk.indexOf(q) < 0) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.rows++;
      return;
    }
    let inQuote = this.#inQuote;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === q) inQuote = !inQuote;
      else if (b === 10 && !inQuote) this.rows++;
    }
    this.#inQuote = inQuote;
  }
}

/**
 * The COPY path: the server renders the rows, the step adds BOM and header and hashes the bytes. Null when the
 * connector has no such path or declines this query; `DbCopyFallback` (thrown, tmp removed) sends the step to
 * the cursor path.
 */
async function _viaCopy(
  db: DbConnector,
  q: { sql: string; params: Record<string, unknown> },
  dialect: Dialect & { encoding: string },
  out: { path: string; header: boolean; signal: AbortSignal },
): Promise<{ columns: string[]; types: (string | null)[]; rows: number; sha256: string } | null> {
  if (typeof db.csvCopy !== "function" || !_copyDialect(dialect)) return null;
  const copy = await db.csvCopy({ ...q, delimiter: dialect.delimiter, quotechar: dialect.quotechar });
  if (copy === null) return null;
  try {
    const { bom, encode } = encoderFor(dialect.encoding);
    const { result: rows, sha256 } = await writeAtomically(out.path, async (file) => {
      const counter = copy.rows ? null : new _RowCounter(dialect.quotechar.charCodeAt(0));
      await file.write(bom);
      if (out.header) await file.write(encode(rowFormatter(dialect)(copy.columns)));
      for await (const chunk of copy.chunks) {
        out.signal.throwIfAborted();
        counter?.add(chunk);
        await file.write(chunk);
      }
      return counter?.rows ?? copy.rows!();
    });
    return { columns: copy.columns, types: copy.types, rows, sha256 };
  } finally {
    await copy.close();
  }
}

function _outputs(
  output: string,
  format: string,
  columns: string[],
  rowCount: number,
  sha256: string,
  emitDtypes: boolean,
  dtypes: Record<string, string> | null,
): JsonObject {
  const outputs: JsonObject = { artifact_path: output, format, columns, row_count: rowCount, sha256 };
  if (emitDtypes && dtypes !== null && Object.keys(dtypes).length > 0) {
    outputs.dtypes = dtypes;
    outputs.dtypes_json = JSON.stringify(dtypes);
  }
  return outputs;
}

export const dbExtractStreamStep = defineStep({
  type: "db_extract_stream",
  origin: "builtin",
  inputs: fields.fixedMap({
    ...QUERY_INPUTS,
    output: fields.path(),
    format: fields.oneOf(["tsv", "csv", "parquet"], {
      default: "tsv",
      message: (f) => `db_extract_stream unsupported format: ${f}`,
    }),
    fetch_size: fields.int({ default: 5000, min: 1 }),
    include_header: fields.bool({ default: true }),
    emit_dtypes: fields.bool({ default: false }),
    dtypes: dtypeMapField(),
    dtypes_json: dtypeMapField(),
    ..._FILE_OPTIONS,
    file: fields.map(_FILE_OPTIONS),
  }),
  connector: { input: "resource", kinds: ["db"], methods: ["fetchall", "fetchmany"] },
  async run(input, ctx) {
    checkParams("db_extract_stream", input.params);
    const dialect = input.format === "parquet"
      ? undefined
      : dialectOf(input.format, input as unknown as _FileOptions, input.file as Partial<_FileOptions>);
    const encoder = dialect ? encoderFor(dialect.encoding) : undefined;
    const output = await ctx.paths.resolve(input.output);
    const supplied = input.dtypes ?? input.dtypes_json;
    const db = await ctx.connectors.db(input.resource);
    const query = { sql: input.sql, params: paramsOf(input.params) };
    if (dialect) {
      try {
        const fast = await _viaCopy(db, query, dialect, {
          path: output,
          header: input.include_header,
          signal: ctx.signal,
        });
        if (fast !== null) {
          // Every column type of the COPY path is declared: no sample is needed.
          const dtypes = supplied ??
            (input.emit_dtypes ? inferDtypes(fast.columns, fast.types, []).dtypes : null);
          ctx.log.debug(`db_extract_stream: ${fast.rows} rows through the server's COPY`);
          return {
            outputs: _outputs(
              output,
              input.format,
              fast.columns,
              fast.rows,
              fast.sha256,
              input.emit_dtypes,
              dtypes,
            ),
          };
        }
      } catch (e) {
        if (!(e instanceof DbCopyFallback)) throw e;
        ctx.log.debug(`db_extract_stream: COPY path declined (${e.reason}); reading through the cursor`);
      }
    }
    let stream: DbStream | undefined;
    try {
      stream = await queryBatches(
        db,
        // Parquet row groups follow the batches; a csv/tsv file does not depend on them.
        { ...query, fetch_size: input.fetch_size, small_batches: input.format !== "parquet" },
        { requireStream: true },
      );
      const columns = stream.columns;
      let batches = stream.batches;
      // Dtypes come from the driver's declared types, else from the first 200 rows.
      let dtypes: Record<string, string> | null = supplied;
      if (dtypes === null && (input.emit_dtypes || input.format === "parquet")) {
        const peeked = await peekRows(batches, 200);
        batches = peeked.rest;
        stream = { ...stream, batches };
        const inferred = inferDtypes(columns, stream.types, peeked.sample);
        dtypes = inferred.dtypes;
        if (input.format === "parquet" && inferred.decimalToFloat.length > 0) ctx.log.warn(DECIMAL_WARNING);
      }
      const { result: rowCount, sha256 } = await writeAtomically(output, async (file) => {
        let count = 0;
        if (input.format === "parquet") {
          const sink = await openParquetSink(file, columns, dtypes ?? {});
          for await (const batch of batches) {
            ctx.signal.throwIfAborted();
            await sink.write(batch);
            count += batch.length;
          }
          await sink.finish();
          return count;
        }
        const format = rowFormatter(dialect!);
        const { bom, encode } = encoder!;
        await file.write(bom);
        if (input.include_header && columns.length > 0) await file.write(encode(format(columns)));
        for await (const batch of batches) {
          ctx.signal.throwIfAborted();
          let text = "";
          for (const row of batch) text += format(row);
          count += batch.length;
          await file.write(encode(text));
        }
        return count;
      });
      return {
        outputs: _outputs(output, input.format, columns, rowCount, sha256, input.emit_dtypes, dtypes),
      };
    } finally {
      await closeStream(stream);
    }
  },
});
