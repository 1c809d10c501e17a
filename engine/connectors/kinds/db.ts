/**
 * The `db` connector kind: SQL reads for the db_* steps (see docs/connectors.md "db").
 * Parameter style is the driver's (`:name` for most drivers); `params` is always passed (`{}` when none).
 * @module
 */
import { z } from "zod";
import type { Connector } from "../types.ts";
import { callChecked, type GenericCall, genericPart } from "./_adapt.ts";

/** A whole result. */
export interface DbRows {
  columns: string[];
  rows: unknown[][];
}

/** A streamed result: `types` are the driver's declared column types when known (null otherwise). */
export interface DbStream {
  columns: string[];
  types: (string | null)[];
  batches: AsyncIterable<unknown[][]>;
}

export interface DbQuery {
  sql: string;
  params?: Record<string, unknown>;
}

export interface DbConnector extends Connector {
  fetchall(args: DbQuery): Promise<DbRows>;
  /** Streaming read in batches of `fetch_size` rows (`sample_size` rows are used for type inference). */
  fetchmany?(args: DbQuery & { fetch_size: number; sample_size?: number }): Promise<DbStream>;
  /** Run a statement and commit; the affected row count. */
  execute?(args: DbQuery): Promise<{ rowcount: number }>;
}

/** Every method of the kind, and those every driver must have. */
export const DB_METHODS = ["fetchall", "fetchmany", "execute"] as const;
export const DB_REQUIRED = ["fetchall"] as const;

const _rows = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())) });
const _stream = _rows.extend({ types: z.array(z.string().nullable()).optional() });

/** A DbConnector over a plugin's generic `call`; `fetchmany` arrives as one batch (a call has one result). */
export function dbFromCall(base: Connector & { call: GenericCall }): DbConnector {
  const where = (method: string) => ({ resource: base.resource, method });
  return {
    ...genericPart(base),
    fetchall: (args) => callChecked(base.call, where("fetchall"), { params: {}, ...args }, _rows),
    async fetchmany(args) {
      const got = await callChecked(base.call, where("fetchmany"), { params: {}, ...args }, _stream);
      const rows = got.rows;
      return {
        columns: got.columns,
        types: got.types ?? got.columns.map(() => null),
        batches: (async function* () {
          if (rows.length > 0) yield rows;
        })(),
      };
    },
    execute: (args) =>
      callChecked(base.call, where("execute"), { params: {}, ...args }, z.object({ rowcount: z.number() })),
  };
}
