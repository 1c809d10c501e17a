/**
 * `db:mysql` — MySQL and MariaDB through npm `mysql2`, loaded lazily. Config `url` (`mysql[+driver]://…` or
 * `mariadb://…`, SQLAlchemy rules); options: pool, timeouts, `connect_args` (docs/connectors.md "db:mysql").
 * `db:sqlalchemy` uses `createMysqlDb` for MySQL/MariaDB URLs.
 *
 * Values: BIGINT exact (number, bigint beyond 2^53), DECIMAL as SqlDecimal, DATE as SqlDate, DATETIME and
 * TIMESTAMP as naive SqlTimestamps from the server's text (never shifted by a time zone), BLOB/BINARY as bytes.
 * @module
 */
import { AetherflowError } from "../../errors.ts";
import { batchStream, type DbConnector, type DbQuery, type DbRows, type DbStream } from "../kinds/db.ts";
import { integerFromText, naiveTimestamp, SqlDate, SqlDecimal } from "../kinds/db_values.ts";
import { type ConnectorCreateContext, defineConnector } from "../types.ts";
import {
  addressOf,
  dbCall,
  dbError,
  type DbErrorContext,
  guarded,
  poolSettings,
  sqlParam,
  URL_DRIVER_CONFIG,
  URL_DRIVER_OPTIONS,
  type UrlDriverOptions,
} from "./_db_common.ts";
import { bindNamed } from "./_db_sql.ts";
import { type DbUrl, queryValue, urlOfFamily, urlSecrets } from "./_db_url.ts";

const _BINARY_CHARSET = 63;

/** The npm `mysql2` pool options for a parsed URL and the resource options (pure; tested without a server). */
export function mysqlClientOptions(url: DbUrl, options: UrlDriverOptions): Record<string, unknown> {
  const pool = poolSettings(options);
  const args = { ...options.connect_args } as Record<string, unknown>;
  const out: Record<string, unknown> = {
    host: url.host ?? "localhost",
    port: url.port ?? 3306,
    user: url.username ?? undefined,
    password: url.password ?? undefined,
    database: url.database ?? undefined,
    charset: queryValue(url, "charset")?.toUpperCase() === "UTF8" ? "UTF8_GENERAL_CI" : "UTF8MB4_GENERAL_CI",
    connectionLimit: pool.size + pool.maxOverflow,
    maxIdle: pool.size,
    idleTimeout: pool.recycleSeconds > 0 ? pool.recycleSeconds * 1000 : 60_000,
    connectTimeout: Math.round(options.connect_timeout * 1000),
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
  };
  // pymysql's connect_args: connect_timeout (s), ssl (map), init_command, read_timeout are the common ones.
  if (args.connect_timeout !== undefined && Number.isFinite(Number(args.connect_timeout))) {
    out.connectTimeout = Math.round(Number(args.connect_timeout) * 1000);
  }
  delete args.connect_timeout;
  if (args.ssl !== undefined) out.ssl = args.ssl;
  delete args.ssl;
  delete args.charset;
  for (const [k, v] of Object.entries(args)) out[k] = v;
  return out;
}

/** Declared type name of a mysql2 field (`decimal(10,2)`, `bigint`, `blob`, `text`…). */
export function mysqlTypeName(
  field: {
    type?: unknown;
    columnType?: number;
    decimals?: number;
    characterSet?: number;
    columnLength?: number;
  },
  names: Record<number, string>,
): string | null {
  const name = typeof field.columnType === "number" ? names[field.columnType] : undefined;
  switch (name) {
    case "DECIMAL":
    case "NEWDECIMAL":
      return `decimal(${field.columnLength ?? 0},${field.decimals ?? 0})`;
    case "TINY":
      return "tinyint";
    case "SHORT":
    case "INT24":
    case "YEAR":
      return "int";
    case "LONG":
      return "int";
    case "LONGLONG":
      return "bigint";
    case "FLOAT":
      return "float";
    case "DOUBLE":
      return "double";
    case "DATE":
    case "NEWDATE":
      return "date";
    case "DATETIME":
    case "DATETIME2":
      return "datetime";
    case "TIMESTAMP":
    case "TIMESTAMP2":
      return "timestamp";
    case "TINY_BLOB":
    case "MEDIUM_BLOB":
    case "LONG_BLOB":
    case "BLOB":
    case "VAR_STRING":
    case "STRING":
    case "VARCHAR":
      return field.characterSet === _BINARY_CHARSET ? "blob" : "text";
    case "JSON":
      return "json";
    case undefined:
      return null;
    default:
      return name.toLowerCase();
  }
}

// deno-lint-ignore no-explicit-any
type _Any = any;

// typeCast of every value: exact decimals, big integers and unshifted dates (see the module doc).
function _typeCast(field: _Any, next: () => unknown): unknown {
  switch (field.type) {
    case "DECIMAL":
    case "NEWDECIMAL": {
      const s = field.string();
      return s === null ? null : new SqlDecimal(s);
    }
    case "LONGLONG": {
      const s = field.string();
      return s === null ? null : integerFromText(s);
    }
    case "DATE":
    case "NEWDATE": {
      const s = field.string();
      return s === null ? null : new SqlDate(s);
    }
    case "DATETIME":
    case "DATETIME2":
    case "TIMESTAMP":
    case "TIMESTAMP2": {
      const s = field.string();
      return s === null ? null : naiveTimestamp(s);
    }
    default:
      return next();
  }
}

/** A MySQL/MariaDB db connector for a parsed URL. */
export async function createMysqlDb(
  resource: string,
  driver: string,
  url: DbUrl,
  options: UrlDriverOptions,
  ctx: ConnectorCreateContext,
  secrets: readonly string[],
): Promise<DbConnector> {
  const mod = await import("mysql2");
  const mysql = ((mod as { default?: unknown }).default ?? mod) as typeof mod;
  const clientOptions = mysqlClientOptions(url, options);
  const err: DbErrorContext = {
    driver,
    resource,
    address: addressOf(String(clientOptions.host), Number(clientOptions.port)),
    secrets,
  };
  const typeNames: Record<number, string> = Object.fromEntries(
    Object.entries(mysql.Types as unknown as Record<string, number>).map(([k, v]) => [v, k]),
  );
  const pool: _Any = mysql.createPool({ ...clientOptions, typeCast: _typeCast } as _Any);
  pool.on("error", () => {}); // idle connection errors surface on the next use
  const prePing = poolSettings(options).prePing;
  const head = `Resource ${resource} (${driver})`;
  const timeout = options.statement_timeout;
  let closed = false;

  // A pooled connection; with pre_ping a dead one is dropped and replaced once.
  const acquire = async (): Promise<_Any> => {
    if (closed) throw new AetherflowError(`${head}: connector is closed`, { code: "db:closed" });
    const get = () =>
      new Promise<_Any>((resolve, reject) =>
        pool.getConnection((e: unknown, c: _Any) => e ? reject(e) : resolve(c))
      );
    let conn: _Any;
    try {
      conn = await guarded(get(), { signal: ctx.signal, timeoutSeconds: null, cancel: () => {}, head });
    } catch (e) {
      throw dbError(err, e, "connect");
    }
    if (!prePing) return conn;
    const alive = await new Promise<boolean>((resolve) => conn.ping((e: unknown) => resolve(!e)));
    if (alive) return conn;
    conn.destroy();
    try {
      return await get();
    } catch (e) {
      throw dbError(err, e, "connect");
    }
  };
  const statement = (q: DbQuery) => {
    const bound = bindNamed(q.sql, q.params, () => "?", { reuse: false });
    return { sql: bound.sql, values: bound.values.map(sqlParam), rowsAsArray: true };
  };
  const run = async (q: DbQuery): Promise<{ rows: _Any; fields: _Any }> => {
    const conn = await acquire();
    let broken = false;
    try {
      const work = new Promise<{ rows: _Any; fields: _Any }>((resolve, reject) =>
        conn.query(
          statement(q),
          (e: unknown, rows: _Any, fields: _Any) => e ? reject(e) : resolve({ rows, fields }),
        )
      );
      return await guarded(work, {
        signal: ctx.signal,
        timeoutSeconds: timeout,
        cancel: () => {
          broken = true;
          conn.destroy();
        },
        head,
      });
    } catch (e) {
      if (_fatal(e)) broken = true;
      throw dbError(err, e);
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  };
  const meta = (fields: _Any[] | undefined) => ({
    columns: (fields ?? []).map((f) => String(f.name)),
    types: (fields ?? []).map((f) => mysqlTypeName(f, typeNames)),
  });

  const db: DbConnector = {
    resource,
    async fetchall(q): Promise<DbRows> {
      const { rows, fields } = await run(q);
      return { columns: meta(fields).columns, rows: Array.isArray(rows) ? rows : [] };
    },
    async fetchmany(q): Promise<DbStream> {
      const fetchSize = Math.max(1, q.fetch_size);
      const conn = await acquire();
      let released = false;
      let unwatch = () => {};
      const release = (destroy: boolean) => {
        if (released) return;
        released = true;
        unwatch();
        if (destroy) conn.destroy();
        else conn.release();
      };
      const query = conn.query(statement(q));
      let fields: _Any[] | undefined;
      let failure: unknown;
      let ended = false;
      const buffer: unknown[][] = [];
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      query.on("fields", (f: _Any[]) => {
        fields = f;
        notify();
      });
      query.on("result", (row: unknown[]) => {
        buffer.push(row);
        // Backpressure: stop reading the socket once a batch is waiting.
        if (buffer.length >= fetchSize) {
          conn.pause();
          notify();
        }
      });
      query.on("error", (e: unknown) => {
        failure = e;
        notify();
      });
      query.on("end", () => {
        ended = true;
        notify();
      });
      // A connection dropped mid-result (server killed, KILL) may not reach the query: watch the socket too.
      const lost = (e?: unknown) => {
        if (ended || failure !== undefined) return;
        failure = e ?? Object.assign(new Error("Connection lost: the server closed the connection"), {
          code: "PROTOCOL_CONNECTION_LOST",
        });
        notify();
      };
      const onEnd = () => lost();
      conn.on("error", lost);
      conn.on("end", onEnd);
      conn.stream?.on?.("close", onEnd);
      unwatch = () => {
        conn.off("error", lost);
        conn.off("end", onEnd);
        conn.stream?.off?.("close", onEnd);
      };
      const deadline = timeout !== null && timeout > 0 ? Date.now() + timeout * 1000 : Infinity;
      const wait = () =>
        guarded(new Promise<void>((resolve) => (wake = resolve)), {
          signal: ctx.signal,
          timeoutSeconds: deadline === Infinity ? null : Math.max(0.001, (deadline - Date.now()) / 1000),
          cancel: () => release(true),
          head,
        });
      const fail = (e: unknown): never => {
        release(true);
        throw dbError(err, e);
      };
      try {
        while (fields === undefined && !ended && failure === undefined) await wait();
      } catch (e) {
        fail(e);
      }
      if (failure !== undefined) fail(failure);
      const batches = batchStream(
        (async function* () {
          while (true) {
            const starved = () => buffer.length < fetchSize && !ended && failure === undefined;
            while (starved()) {
              conn.resume(); // may deliver buffered rows at once
              if (starved()) await wait();
            }
            if (failure !== undefined) throw dbError(err, failure);
            if (buffer.length === 0 && ended) break;
            yield buffer.splice(0, fetchSize);
          }
        })(),
        // A statement left early (or failed) still streams: destroy its connection rather than drain it.
        () => release(!ended || failure !== undefined),
      );
      return { ...meta(fields), batches };
    },
    async execute(q): Promise<{ rowcount: number }> {
      const { rows } = await run(q);
      return { rowcount: Number(rows?.affectedRows ?? 0) };
    },
    async probe(): Promise<void> {
      await run({ sql: "SELECT 1", params: {} });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    },
  };
  db.call = dbCall(db);
  return db;
}

function _fatal(e: unknown): boolean {
  return (e as { fatal?: unknown })?.fatal === true;
}

export const dbMysql = defineConnector({
  kind: "db",
  driver: "mysql",
  origin: "builtin",
  config: URL_DRIVER_CONFIG,
  options: URL_DRIVER_OPTIONS,
  create(resource, ctx) {
    const url = urlOfFamily(resource.config.url, "mysql", "db:mysql", "mysql:// or mariadb://");
    return createMysqlDb(
      resource.name,
      "db:mysql",
      url,
      resource.options,
      ctx,
      urlSecrets(resource.config.url),
    );
  },
});
