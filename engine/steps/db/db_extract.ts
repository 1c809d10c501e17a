/**
 * `db_extract`: SQL -> a TSV or JSON-lines file (docs/steps.md "db_extract"). Rows are streamed through the
 * connector's `fetchmany` when it has one (memory stays flat), else read with `fetchall`; the file is written to
 * `<output>.tmp` and renamed, and the tmp is removed on any failure.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import { defineStep } from "../types.ts";
import { checkParams, closeStream, paramsOf, QUERY_INPUTS, queryBatches } from "./_common.ts";
import { encoderFor, jsonlFormatter, rowFormatter, writeAtomically } from "./_tabular.ts";
import type { DbStream } from "../../connectors/kinds/db.ts";

const _FETCH_SIZE = 5000;

export const dbExtractStep = defineStep({
  type: "db_extract",
  origin: "builtin",
  inputs: fields.fixedMap({
    ...QUERY_INPUTS,
    output: fields.path(),
    format: fields.oneOf(["tsv", "jsonl"], { default: "tsv", message: (f) => `Unsupported format: ${f}` }),
  }),
  connector: { input: "resource", kinds: ["db"], methods: ["fetchall"] },
  async run(input, ctx) {
    checkParams("db_extract", input.params);
    const output = await ctx.paths.resolve(input.output);
    const db = await ctx.connectors.db(input.resource);
    let stream: DbStream | undefined;
    try {
      stream = await queryBatches(db, {
        sql: input.sql,
        params: paramsOf(input.params),
        fetch_size: _FETCH_SIZE,
      });
      const s = stream;
      const encode = encoderFor("utf-8").encode;
      const { result: rows } = await writeAtomically(output, async (file) => {
        let format: (row: readonly unknown[]) => string;
        if (input.format === "jsonl") format = jsonlFormatter(s.columns);
        else {
          format = rowFormatter({
            delimiter: "\t",
            quotechar: '"',
            escapechar: null,
            doublequote: true,
            quoting: "minimal",
            linefeed: "\n",
          });
          if (s.columns.length > 0) await file.write(encode(format(s.columns)));
        }
        let count = 0;
        for await (const batch of s.batches) {
          let text = "";
          for (const row of batch) text += format(row);
          count += batch.length;
          await file.write(encode(text));
        }
        return count;
      });
      return { outputs: { output, format: input.format, rows } };
    } finally {
      await closeStream(stream);
    }
  },
});
