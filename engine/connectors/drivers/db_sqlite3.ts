/**
 * `db:sqlite3` — SQLite through `node:sqlite` (built into Deno). Config `url` (`sqlite:///relative.db`,
 * `sqlite:////abs/path.db`; wins over `path`) or `path`, `:memory:` allowed; `read_only`, `timeout` (busy
 * wait, seconds). No `execute` (parity with upstream). Integers beyond 2^53 come back exact (bigint), blobs as
 * bytes. SQLite has no date type: such values are the text or numbers stored (docs/connectors.md "db:sqlite3").
 * @module
 */
import { AetherflowError, EXIT } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import { batchStream, type DbConnector, type DbRows, type DbStream } from "../kinds/db.ts";
import { integerFromBigInt } from "../kinds/db_values.ts";
import { type ConnectorCreateContext, defineConnector } from "../types.ts";
import { dbCall, dbError, type DbErrorContext, sqlParam } from "./_db_common.ts";
import { requireParams } from "./_db_sql.ts";

/** The SQLite file (or `:memory:`) of a config: a `sqlite://` url wins over `path`. */
export function sqlitePath(config: { url: string | null; path: string | null }): string {
  if (config.url !== null && config.url !== "") {
    const url = config.url.trim();
    if (url.startsWith("sqlite:///")) return url.slice("sqlite:///".length) || ":memory:";
    if (url === "sqlite://" || url === "sqlite:") return ":memory:";
    throw new AetherflowError("db:sqlite3 config.url must start with sqlite:///", {
      code: "db:url",
      exitCode: EXIT.FAILED,
    });
  }
  if (config.path !== null && config.path !== "") return config.path;
  throw new AetherflowError("SQLite connector requires config.path or config.url", {
    code: "db:config",
    exitCode: EXIT.FAILED,
  });
}

const _CONFIG = fields.fixedMap({
  url: fields.text({ default: null }),
  path: fields.text({ default: null }),
  read_only: fields.bool({ default: false }),
  timeout: fields.number({ default: 5, min: 0 }),
});
const _OPTIONS = fields.fixedMap({ cache: fields.text({ default: null }) });

// Batch size when the caller takes smaller batches (`small_batches`), and how often a long read lets the event
// loop run.
const _SMALL_BATCH = 500;
const _YIELD_MS = 20;

// Rows come out of node:sqlite as arrays; integers as bigint (exact), turned into numbers when they fit.
function _row(row: unknown[]): unknown[] {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v === "bigint") row[i] = integerFromBigInt(v);
  }
  return row;
}

function _params(params: unknown): unknown {
  if (Array.isArray(params)) return params.map(sqlParam);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    out[k] = typeof v === "boolean" ? (v ? 1 : 0) : sqlParam(v);
  }
  return out;
}

/** A SQLite db connector over `file` (created on first use unless read-only). */
export async function createSqliteDb(
  resource: string,
  driver: string,
  file: string,
  opts: { readOnly: boolean; timeoutSeconds: number },
  ctx: ConnectorCreateContext,
): Promise<DbConnector> {
  const { DatabaseSync } = await import("node:sqlite");
  const err: DbErrorContext = { driver, resource, address: file, secrets: [] };
  let db: InstanceType<typeof DatabaseSync>;
  try {
    db = new DatabaseSync(file, { readOnly: opts.readOnly, timeout: Math.round(opts.timeoutSeconds * 1000) });
  } catch (e) {
    throw new AetherflowError(
      `Resource ${resource} (${driver}): cannot open ${file}: ${(e as Error).message}`,
      {
        code: "db:connect",
        exitCode: EXIT.FAILED,
      },
    );
  }
  const head = `Resource ${resource} (${driver})`;
  const prepare = (sql: string, params: unknown) => {
    if (ctx.signal.aborted) {
      throw new AetherflowError(`${head}: statement cancelled: the run was aborted`, { code: "db:aborted" });
    }
    requireParams(sql, params);
    try {
      const stmt = db.prepare(sql);
      stmt.setReadBigInts(true);
      // In Deno 2.9.6, not yet in its node:sqlite typings.
      (stmt as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      return stmt;
    } catch (e) {
      throw dbError(err, e);
    }
  };
  const columnsOf = (stmt: ReturnType<typeof prepare>) => stmt.columns().map((c) => c.name);
  // Deno 2.9.6's node:sqlite ends `iterate()` silently when SQLite reports an error mid-statement (all() and
  // get() do throw). So a finished stream is checked: the statement's row count, computed again, must match
  // what was streamed; an error on the way now surfaces. Statements that cannot be wrapped (PRAGMA…) are not
  // checked (docs/connectors.md "db:sqlite3").
  const verifyComplete = (sql: string, params: unknown, streamed: number) => {
    let counter;
    try {
      counter = db.prepare(`SELECT count(*) FROM (${sql.replace(/[\s;]+$/, "")})`);
    } catch {
      return;
    }
    let expected: number;
    try {
      expected = Number(Object.values(counter.get(_params(params) as never) ?? {})[0]);
    } catch (e) {
      throw dbError(err, e);
    }
    if (expected !== streamed) {
      throw new AetherflowError(
        `${head}: the statement stopped after ${streamed} of ${expected} rows (SQLite failed mid-statement; ` +
          "run it with db_fetch_small or the sqlite3 shell to see the error)",
        { code: "db:query", exitCode: EXIT.FAILED },
      );
    }
  };

  const connector: DbConnector = {
    resource,
    fetchall(q): Promise<DbRows> {
      try {
        const stmt = prepare(q.sql, q.params);
        const rows = stmt.all(_params(q.params) as never) as unknown as unknown[][];
        return Promise.resolve({ columns: columnsOf(stmt), rows: rows.map(_row) });
      } catch (e) {
        return Promise.reject(dbError(err, e));
      }
    },
    fetchmany(q): Promise<DbStream> {
      // Rows held at once: a batch kept while the caller writes it outlives the young generation, and the
      // collector lets the old one grow with it (peak memory then grows with the rows read, up to a plateau).
      const fetchSize = Math.max(1, q.small_batches ? Math.min(q.fetch_size, _SMALL_BATCH) : q.fetch_size);
      let lastYield = performance.now();
      let stmt: ReturnType<typeof prepare>;
      let iterator: Iterator<unknown>;
      try {
        stmt = prepare(q.sql, q.params);
        iterator = stmt.iterate(_params(q.params) as never);
      } catch (e) {
        return Promise.reject(dbError(err, e));
      }
      const columns = columnsOf(stmt);
      // SQLite declares no value types (a column's declared type does not bind its values): the step samples.
      const types = columns.map(() => null);
      let total = 0;
      const batches = batchStream(
        (async function* () {
          while (true) {
            if (ctx.signal.aborted) {
              throw new AetherflowError(`${head}: statement cancelled: the run was aborted`, {
                code: "db:aborted",
                exitCode: EXIT.FAILED,
              });
            }
            const batch: unknown[][] = [];
            let done = false;
            try {
              while (batch.length < fetchSize) {
                const r = iterator.next();
                if (r.done) {
                  done = true;
                  break;
                }
                batch.push(_row(r.value as unknown[]));
              }
            } catch (e) {
              throw dbError(err, e);
            }
            total += batch.length;
            if (batch.length > 0) yield batch;
            if (done) {
              verifyComplete(q.sql, q.params, total);
              return;
            }
            // Let timers and signals run between batches (node:sqlite is synchronous) — every few milliseconds,
            // not after every batch: a timer costs a few milliseconds itself (nested timers are clamped).
            if (performance.now() - lastYield >= _YIELD_MS) {
              await new Promise((r) => setTimeout(r, 0));
              lastYield = performance.now();
            }
          }
        })(),
        () => iterator.return?.(),
      );
      return Promise.resolve({ columns, types, batches });
    },
    probe(): Promise<void> {
      return connector.fetchall({ sql: "SELECT 1", params: {} }).then(() => {});
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
  connector.call = dbCall(connector);
  return connector;
}

export const dbSqlite3 = defineConnector({
  kind: "db",
  driver: "sqlite3",
  origin: "builtin",
  config: _CONFIG,
  options: _OPTIONS,
  create(resource, ctx) {
    const file = sqlitePath(resource.config);
    return createSqliteDb(resource.name, "db:sqlite3", file, {
      readOnly: resource.config.read_only,
      timeoutSeconds: resource.config.timeout,
    }, ctx);
  },
});
