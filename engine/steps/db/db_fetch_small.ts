/**
 * `db_fetch_small`: a bounded in-memory query result as JSON outputs for chaining (docs/steps.md
 * "db_fetch_small"); more than `max_rows` rows fail the step.
 * @module
 */
import { StepError } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import { jsonOf } from "../../connectors/kinds/db_values.ts";
import type { JsonObject } from "../../types.ts";
import { defineStep } from "../types.ts";
import { checkParams, closeStream, paramsOf, QUERY_INPUTS, queryBatches } from "./_common.ts";
import { inferDtypes } from "./_dtypes.ts";
import type { DbStream } from "../../connectors/kinds/db.ts";

export const dbFetchSmallStep = defineStep({
  type: "db_fetch_small",
  origin: "builtin",
  inputs: fields.fixedMap({
    ...QUERY_INPUTS,
    max_rows: fields.int({ default: 50000, min: 0 }),
    fetch_size: fields.int({ default: 5000, min: 1 }),
  }),
  connector: { input: "resource", kinds: ["db"], methods: ["fetchall", "fetchmany"] },
  async run(input, ctx) {
    checkParams("db_fetch_small", input.params);
    const db = await ctx.connectors.db(input.resource);
    let stream: DbStream | undefined;
    try {
      stream = await queryBatches(
        db,
        { sql: input.sql, params: paramsOf(input.params), fetch_size: input.fetch_size },
        { requireStream: true },
      );
      const rows: unknown[][] = [];
      for await (const batch of stream.batches) {
        for (const row of batch) {
          if (rows.length >= input.max_rows) {
            throw new StepError(
              `db_fetch_small exceeded max_rows=${input.max_rows}. Use db_extract_stream for large results.`,
            );
          }
          rows.push(row);
        }
      }
      const { dtypes } = inferDtypes(stream.columns, stream.types, rows.slice(0, 200));
      const jsonRows = rows.map((r) => stream!.columns.map((_, i) => jsonOf(r[i])));
      const outputs: JsonObject = {
        columns: stream.columns,
        rows: jsonRows as unknown as JsonObject[],
        row_count: rows.length,
        columns_json: JSON.stringify(stream.columns),
        rows_json: JSON.stringify(jsonRows),
        dtypes,
        dtypes_json: JSON.stringify(dtypes),
      };
      return { outputs };
    } finally {
      await closeStream(stream);
    }
  },
});
