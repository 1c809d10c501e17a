// Shared by the db steps: their common inputs, and reading a query as batches (a connector's `fetchmany`, or one
// batch from `fetchall` for connectors without it).
import { StepError } from "../../errors.ts";
import { fail, field, fields } from "../../inputs/mod.ts";
import { isMap } from "../../types.ts";
import type { DbConnector, DbStream } from "../../connectors/kinds/db.ts";

/** `resource`, `sql` (required) and `params` (a map, a list, or a JSON string of either). */
export const QUERY_INPUTS = {
  resource: fields.text({ nonEmpty: true }),
  sql: fields.text({ nonEmpty: true }),
  params: fields.jsonish(),
};

/** `params` as a driver gets it: `{}` when absent (upstream passes `params or {}`). */
export function paramsOf(params: unknown): Record<string, unknown> {
  return (params ?? {}) as Record<string, unknown>;
}

/** A params value must be a map or a list once rendered. */
export function checkParams(type: string, params: unknown): void {
  if (params === null || params === undefined || isMap(params) || Array.isArray(params)) return;
  throw new StepError(`${type} inputs.params must be a map (or a list for positional SQL)`, {
    code: "step:invalid_input",
  });
}

/** A dtype map input (`dtypes` / `dtypes_json`): a map or its JSON text; `null` when absent. */
export function dtypeMapField(): ReturnType<typeof field<Record<string, string> | null>> {
  return field<Record<string, string> | null>((v, ctx) => {
    let value = v;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch {
        return fail(ctx, "dtypes must be a dict (mapping column -> type)", { verbatim: true });
      }
    }
    if (!isMap(value)) {
      return fail(ctx, "dtypes must be a dict (mapping column -> type)", { verbatim: true });
    }
    return Object.fromEntries(Object.entries(value).map(([k, t]) => [k, String(t).trim().toLowerCase()]));
  }, { required: false, fallback: null });
}

/**
 * The rows of `sql` as batches: `fetchmany` when the connector has it (streamed), else one `fetchall` batch
 * (`requireStream` refuses that: `DB-Connector does not have built-in fetchmany!`).
 */
export async function queryBatches(
  db: DbConnector,
  q: { sql: string; params: Record<string, unknown>; fetch_size: number; small_batches?: boolean },
  options: { requireStream?: boolean } = {},
): Promise<DbStream> {
  if (typeof db.fetchmany === "function") return await db.fetchmany({ ...q, sample_size: 200 });
  if (options.requireStream) throw new StepError("DB-Connector does not have built-in fetchmany!");
  const all = await db.fetchall({ sql: q.sql, params: q.params });
  return {
    columns: all.columns,
    types: all.columns.map(() => null),
    batches: (async function* () {
      if (all.rows.length > 0) yield all.rows;
    })(),
  };
}

/** Release a stream's statement and connection (a no-op when it was consumed to the end). */
export async function closeStream(stream: DbStream | undefined): Promise<void> {
  if (!stream) return;
  const it = stream.batches[Symbol.asyncIterator]();
  await it.return?.();
}
