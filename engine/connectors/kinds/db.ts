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

/**
 * A streamed result: `types` are the driver's declared column types when known (null otherwise: the step samples
 * values). Built-in drivers pull the next batch only when asked (memory stays flat); leaving the iteration early
 * (`break`, an error) releases the statement and its connection.
 */
export interface DbStream {
  columns: string[];
  types: (string | null)[];
  batches: AsyncIterable<unknown[][]>;
}

export interface DbQuery {
  sql: string;
  params?: Record<string, unknown>;
}

/**
 * A result already rendered as CSV by the server (PostgreSQL `COPY … TO STDOUT`): the bytes of the data rows
 * (no header) in the dialect asked for, with every cell in its documented text form (docs/steps.md "Value
 * formatting"). `chunks` must be read to the end or `close()`d (which cancels the statement and frees the
 * connection). A chunk is valid until the next one is asked for (its memory is reused). A server-side
 * refusal of a value the fast form cannot print surfaces as `DbCopyFallback`.
 */
export interface DbCsvCopy {
  columns: string[];
  types: (string | null)[];
  chunks: AsyncIterable<Uint8Array>;
  close(): Promise<void>;
  /** The rows in the chunks read so far, when the source counts them (else the step counts line feeds). */
  rows?(): number;
}

/** Thrown by a `DbCsvCopy` when its rows must be read through `fetchmany` instead (nothing is wrong). */
export class DbCopyFallback extends Error {
  constructor(readonly reason: string) {
    super(`COPY fallback: ${reason}`);
  }
}

export interface DbConnector extends Connector {
  fetchall(args: DbQuery): Promise<DbRows>;
  /**
   * Streaming read in batches of `fetch_size` rows (`sample_size` rows are used for type inference).
   * `small_batches`: the caller does not depend on where batches end (a text file), so a driver without a
   * server round trip per batch may hand out smaller ones, which keeps its memory flat.
   */
  fetchmany?(
    args: DbQuery & { fetch_size: number; sample_size?: number; small_batches?: boolean },
  ): Promise<DbStream>;
  /** Run a statement and commit; the affected row count. */
  execute?(args: DbQuery): Promise<{ rowcount: number }>;
  /**
   * Optional fast path of `db_extract_stream` csv/tsv: the rows as CSV text straight from the server, or null
   * when this query or its column types cannot be rendered exactly that way (the step then uses `fetchmany`).
   */
  csvCopy?(args: DbQuery & { delimiter: string; quotechar: string }): Promise<DbCsvCopy | null>;
  /** A cheap round trip (`SELECT 1`) proving the server answers with these credentials (`doctor --connect`). */
  probe?(): Promise<void>;
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
      const { small_batches: _, ...plain } = args;
      const got = await callChecked(base.call, where("fetchmany"), { params: {}, ...plain }, _stream);
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

/**
 * Batches whose resources are released exactly once: when the iteration ends, fails, or is left early — also
 * when `return()` is called before the first `next()` (an async generator's own `finally` would not run then).
 */
export function batchStream(
  source: AsyncIterator<unknown[][]>,
  release: () => unknown,
): AsyncIterableIterator<unknown[][]> {
  let released = false;
  const free = async () => {
    if (released) return;
    released = true;
    try {
      await release();
    } catch {
      // the statement or connection is already gone: nothing left to free
    }
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const r = await source.next();
        if (r.done) await free();
        return r;
      } catch (err) {
        await free();
        throw err;
      }
    },
    async return(value?: unknown) {
      try {
        await source.return?.();
      } catch {
        // ignored: releasing below is what matters
      } finally {
        await free();
      }
      return { done: true, value } as IteratorResult<unknown[][]>;
    },
  };
}
