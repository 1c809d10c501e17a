/**
 * `db:oracledb` — Oracle Database through npm `oracledb` in Thin mode (pure JavaScript), loaded lazily.
 * NOT VERIFIED AGAINST A SERVER (no Oracle server can run in CI): the config mapping, session set-up and value
 * conversion below are unit-tested; docs/connectors.md "db:oracledb" says so.
 *
 * Config `user`, `password`, `dsn` (required). Options `pool.enabled` (`pool_enabled`, true), `pool.size`
 * (`pool_size`, 4) -> a pool of 1..size, `arraysize` (5000), `lib_dir` / `oracle.lib_dir` (Thick mode: not
 * available in this build, a warning), `connect_timeout`, `statement_timeout` (seconds).
 * Values: NUMBER fetched as text (exact: integers as number/bigint, others SqlDecimal), DATE and TIMESTAMP as
 * naive SqlTimestamps and TIMESTAMP WITH TIME ZONE as zone-aware ones, through fixed NLS formats.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import { batchStream, type DbConnector, type DbRows, type DbStream } from "../kinds/db.ts";
import { integerFromText, naiveTimestamp, parseZonedTimestamp, SqlDecimal } from "../kinds/db_values.ts";
import { defineConnector } from "../types.ts";
import { dbCall, dbError, type DbErrorContext, guarded, sqlParam } from "./_db_common.ts";
import { requireParams } from "./_db_sql.ts";

const _CONFIG = fields.fixedMap({
  user: fields.text({ nonEmpty: true }),
  password: fields.text(),
  dsn: fields.text({ nonEmpty: true }),
});
const _OPTIONS = fields.fixedMap({
  pool: fields.map({
    enabled: fields.bool({ default: null as unknown as boolean }),
    size: fields.int({ default: null, min: 1 }),
  }),
  pool_enabled: fields.bool({ default: null as unknown as boolean }),
  pool_size: fields.int({ default: null, min: 1 }),
  arraysize: fields.int({ default: 5000, min: 1 }),
  lib_dir: fields.text({ default: null }),
  oracle: fields.map({ lib_dir: fields.text({ default: null }) }),
  connect_timeout: fields.number({ default: 10, min: 0 }),
  statement_timeout: fields.number({ default: null, min: 0 }),
  cache: fields.text({ default: null }),
});
type _Options = ReturnType<typeof _OPTIONS.parse>;

/** Session formats that make dates and timestamps come back as ISO text (no client time zone involved). */
export const ORACLE_SESSION_SQL = [
  "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS'",
  "ALTER SESSION SET NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6'",
  "ALTER SESSION SET NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6TZH:TZM'",
  "ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,'",
];

/** Connection/pool attributes for `oracledb` (pure). */
export function oracleConnectOptions(
  config: { user: string; password: string; dsn: string },
  options: _Options,
): { pooled: boolean; attrs: Record<string, unknown>; arraysize: number; libDir: string | null } {
  const pool = options.pool as { enabled: boolean | null; size: number | null };
  const pooled = pool.enabled ?? options.pool_enabled ?? true;
  const size = pool.size ?? options.pool_size ?? 4;
  const attrs: Record<string, unknown> = {
    user: config.user,
    password: config.password,
    connectString: config.dsn,
    connectTimeout: options.connect_timeout,
  };
  if (pooled) Object.assign(attrs, { poolMin: 1, poolMax: size, poolIncrement: 1 });
  if (options.statement_timeout !== null && options.statement_timeout > 0) {
    attrs.callTimeout = Math.round(options.statement_timeout * 1000); // applied per connection
  }
  const libDir = (options.oracle as { lib_dir: string | null }).lib_dir ?? options.lib_dir;
  return { pooled, attrs, arraysize: options.arraysize, libDir };
}

/** Declared type name of an oracledb column (`number(10,0)`, `datetime`, …) for dtypes. */
export function oracleTypeName(
  meta: { dbTypeName?: string; precision?: number; scale?: number },
): string | null {
  const name = (meta.dbTypeName ?? "").toUpperCase();
  if (name === "NUMBER") {
    // NUMBER without precision has scale -127 (floating): a float.
    return meta.scale === -127 || meta.scale === undefined
      ? "number"
      : `number(${meta.precision ?? 38},${meta.scale})`;
  }
  if (name === "DATE" || name.startsWith("TIMESTAMP")) return "datetime";
  if (name === "") return null;
  return name.toLowerCase();
}

/** A fetched value (strings from the fetch type handler) as a typed SQL value. */
export function oracleValue(meta: { dbTypeName?: string; scale?: number }, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const name = (meta.dbTypeName ?? "").toUpperCase();
  if (typeof value !== "string") return value;
  if (name === "NUMBER") return /^-?\d+$/.test(value) ? integerFromText(value) : new SqlDecimal(value);
  if (name === "DATE" || name === "TIMESTAMP" || name === "TIMESTAMP WITH LOCAL TIME ZONE") {
    return naiveTimestamp(value);
  }
  if (name === "TIMESTAMP WITH TIME ZONE") return parseZonedTimestamp(value);
  return value;
}

// deno-lint-ignore no-explicit-any
type _Any = any;

export const dbOracledb = defineConnector({
  kind: "db",
  driver: "oracledb",
  origin: "builtin",
  config: _CONFIG,
  options: _OPTIONS,
  async create(resource, ctx): Promise<DbConnector> {
    const mod: _Any = await import("oracledb");
    const oracledb = mod.default ?? mod;
    const opts = oracleConnectOptions(resource.config, resource.options);
    if (opts.libDir !== null) {
      ctx.log.warn(
        `db:oracledb: lib_dir is ignored: Thick mode needs a native client; this build uses Thin mode`,
      );
    }
    const driver = "db:oracledb";
    const err: DbErrorContext = {
      driver,
      resource: resource.name,
      address: resource.config.dsn,
      secrets: resource.config.password ? [resource.config.password] : [],
    };
    const head = `Resource ${resource.name} (${driver})`;
    const fetchTypeHandler = (meta: _Any) => {
      const t = meta.dbType;
      if (
        t === oracledb.DB_TYPE_NUMBER || t === oracledb.DB_TYPE_DATE || t === oracledb.DB_TYPE_TIMESTAMP ||
        t === oracledb.DB_TYPE_TIMESTAMP_TZ || t === oracledb.DB_TYPE_TIMESTAMP_LTZ
      ) return { type: oracledb.STRING };
      return undefined;
    };
    let pool: _Any = null;
    const connect = async (): Promise<_Any> => {
      try {
        let conn: _Any;
        if (opts.pooled) {
          pool ??= await oracledb.createPool({ ...opts.attrs, sessionCallback: _session });
          conn = await pool.getConnection();
        } else {
          conn = await oracledb.getConnection(opts.attrs);
          await _session(conn, null, () => {});
        }
        if (opts.attrs.callTimeout) conn.callTimeout = opts.attrs.callTimeout;
        return conn;
      } catch (e) {
        throw dbError(err, e, "connect");
      }
    };
    const execOptions = {
      outFormat: oracledb.OUT_FORMAT_ARRAY,
      fetchTypeHandler,
      fetchArraySize: opts.arraysize,
    };
    const bindsOf = (params: unknown) =>
      Array.isArray(params)
        ? params.map(sqlParam)
        : Object.fromEntries(Object.entries((params ?? {}) as object).map(([k, v]) => [k, sqlParam(v)]));
    const rowsOf = (metaData: _Any[], rows: unknown[][]) =>
      rows.map((r) => r.map((v, i) => oracleValue(metaData[i] ?? {}, v)));
    const guard = <T>(p: Promise<T>, conn: _Any) =>
      guarded(p, {
        signal: ctx.signal,
        timeoutSeconds: null,
        cancel: () => conn.break?.().catch(() => {}),
        head,
      });

    const db: DbConnector = {
      resource: resource.name,
      async fetchall(q): Promise<DbRows> {
        requireParams(q.sql, q.params);
        const conn = await connect();
        try {
          const r: _Any = await guard(conn.execute(q.sql, bindsOf(q.params), execOptions), conn);
          const meta = r.metaData ?? [];
          return { columns: meta.map((m: _Any) => m.name), rows: rowsOf(meta, r.rows ?? []) };
        } catch (e) {
          throw dbError(err, e);
        } finally {
          await conn.close().catch(() => {});
        }
      },
      async fetchmany(q): Promise<DbStream> {
        requireParams(q.sql, q.params);
        const conn = await connect();
        let rs: _Any;
        try {
          const r: _Any = await guard(
            conn.execute(q.sql, bindsOf(q.params), { ...execOptions, resultSet: true }),
            conn,
          );
          rs = r.resultSet;
          const meta: _Any[] = r.metaData ?? [];
          const batches = batchStream(
            (async function* () {
              while (true) {
                const rows = await guard<unknown[][]>(rs.getRows(Math.max(1, q.fetch_size)), conn).catch(
                  (e) => {
                    throw dbError(err, e);
                  },
                );
                if (rows.length === 0) break;
                yield rowsOf(meta, rows);
              }
            })(),
            async () => {
              await rs.close().catch(() => {});
              await conn.close().catch(() => {});
            },
          );
          return { columns: meta.map((m) => m.name), types: meta.map(oracleTypeName), batches };
        } catch (e) {
          await conn.close().catch(() => {});
          throw dbError(err, e);
        }
      },
      async execute(q): Promise<{ rowcount: number }> {
        requireParams(q.sql, q.params);
        const conn = await connect();
        try {
          const r: _Any = await guard(conn.execute(q.sql, bindsOf(q.params), { autoCommit: true }), conn);
          return { rowcount: Number(r.rowsAffected ?? 0) };
        } catch (e) {
          throw dbError(err, e);
        } finally {
          await conn.close().catch(() => {});
        }
      },
      async probe(): Promise<void> {
        await db.fetchall({ sql: "SELECT 1 FROM DUAL", params: {} });
      },
      async close(): Promise<void> {
        if (pool) await pool.close(5).catch(() => {});
        pool = null;
      },
    };
    db.call = dbCall(db);
    return db;
  },
});

async function _session(conn: _Any, _tag: unknown, done: (e?: unknown) => void): Promise<void> {
  try {
    for (const sql of ORACLE_SESSION_SQL) await conn.execute(sql);
    done();
  } catch (e) {
    done(e);
  }
}
