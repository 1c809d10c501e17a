/**
 * `db:postgres` — PostgreSQL through npm `postgres` (porsager), loaded lazily. Config `url`
 * (`postgresql[+driver]://…`, SQLAlchemy rules); options: pool, timeouts, `connect_args`
 * (docs/connectors.md "db:postgres"). `db:sqlalchemy` uses `createPostgresDb` for PostgreSQL URLs.
 *
 * Values: int8 as number (bigint beyond 2^53), numeric as SqlDecimal (exact), date as SqlDate, timestamp as a
 * naive and timestamptz as a zone-aware SqlTimestamp, parsed from the server's text (never through a JS Date,
 * so neither the process time zone nor microseconds are lost); bytea as bytes, json as parsed JSON.
 * @module
 */
import { AetherflowError } from "../../errors.ts";
import {
  batchStream,
  type DbConnector,
  DbCopyFallback,
  type DbCsvCopy,
  type DbQuery,
  type DbRows,
  type DbStream,
} from "../kinds/db.ts";
import {
  integerFromText,
  naiveTimestamp,
  parseZonedTimestamp,
  SqlDate,
  SqlDecimal,
} from "../kinds/db_values.ts";
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
import { CopyFinisher, copyReader, isCopyFallback, postgresCopyPlan, sendCancelRequest } from "./_pg_copy.ts";
import { type DbUrl, queryValue, urlOfFamily, urlSecrets } from "./_db_url.ts";

// Type names by OID, for declared column types (docs/steps.md "Column dtypes").
const _TYPE_NAMES: Record<number, string> = {
  16: "bool",
  17: "bytea",
  18: "char",
  19: "name",
  20: "int8",
  21: "int2",
  23: "int4",
  25: "text",
  26: "oid",
  114: "json",
  142: "xml",
  700: "float4",
  701: "float8",
  1042: "bpchar",
  1043: "varchar",
  1082: "date",
  1083: "time",
  1114: "timestamp",
  1184: "timestamptz",
  1186: "interval",
  1266: "timetz",
  1700: "numeric",
  2950: "uuid",
  3802: "jsonb",
};

/** Declared type name of a column OID (null when unknown: the step samples values). */
export function postgresTypeName(oid: number): string | null {
  return _TYPE_NAMES[oid] ?? null;
}

/** The npm `postgres` options for a parsed URL and the resource options (pure; tested without a server). */
export function postgresClientOptions(
  url: DbUrl,
  options: UrlDriverOptions,
  extra: { appName?: string } = {},
): Record<string, unknown> {
  const pool = poolSettings(options);
  const args = { ...options.connect_args } as Record<string, unknown>;
  const connection: Record<string, unknown> = { application_name: extra.appName ?? "aetherflow" };
  let ssl: unknown = undefined;
  const sslmode = args.sslmode ?? queryValue(url, "sslmode");
  delete args.sslmode;
  if (typeof sslmode === "string") {
    ssl = sslmode === "disable" ? false : sslmode === "verify-ca" ? "verify-full" : sslmode;
  }
  let connectTimeout = options.connect_timeout;
  const argTimeout = args.connect_timeout ?? queryValue(url, "connect_timeout");
  delete args.connect_timeout;
  if (argTimeout !== undefined && Number.isFinite(Number(argTimeout))) connectTimeout = Number(argTimeout);
  // psycopg2's `options: "-c key=value -c …"` becomes run-time parameters.
  const pgOptions = args.options ?? queryValue(url, "options");
  delete args.options;
  if (typeof pgOptions === "string") {
    for (const m of pgOptions.matchAll(/-c\s*([\w.]+)=(\S+)/g)) connection[m[1]!] = m[2]!;
  }
  for (const [k, v] of Object.entries(url.query)) {
    if (!["sslmode", "connect_timeout", "options"].includes(k)) {
      connection[k] = Array.isArray(v) ? v.at(-1) : v;
    }
  }
  for (const [k, v] of Object.entries(args)) connection[k] = v;
  if (options.statement_timeout !== null && options.statement_timeout > 0) {
    connection.statement_timeout = Math.round(options.statement_timeout * 1000);
  }
  const host = url.host ?? queryValue(url, "host") ?? "localhost";
  delete connection.host;
  return {
    host,
    port: url.port ?? 5432,
    user: url.username ?? undefined,
    password: url.password ?? undefined,
    database: url.database ?? undefined,
    ssl,
    max: pool.size + pool.maxOverflow,
    max_lifetime: pool.recycleSeconds > 0 ? pool.recycleSeconds : null,
    idle_timeout: 0,
    connect_timeout: connectTimeout,
    prepare: false,
    connection,
  };
}

// deno-lint-ignore no-explicit-any
type _Sql = any;

// Errors that mean the same on the cursor path (cancelled, connection lost, server shutting down, out of
// resources): reported at once instead of running the query a second time.
const _KEEP_ERRORS = /^(57|08|53|58)/;

/** A PostgreSQL db connector for a parsed URL. */
export async function createPostgresDb(
  resource: string,
  driver: string,
  url: DbUrl,
  options: UrlDriverOptions,
  ctx: ConnectorCreateContext,
  secrets: readonly string[],
): Promise<DbConnector> {
  const { default: postgres } = await import("postgres");
  const clientOptions = postgresClientOptions(url, options);
  const err: DbErrorContext = {
    driver,
    resource,
    address: addressOf(String(clientOptions.host), Number(clientOptions.port)),
    secrets,
  };
  const sql: _Sql = postgres({
    ...clientOptions,
    onnotice: () => {},
    types: {
      aetherflow_int8: { to: 0, from: [20], serialize: String, parse: integerFromText },
      aetherflow_numeric: { to: 0, from: [1700], serialize: String, parse: (t: string) => new SqlDecimal(t) },
      aetherflow_date: { to: 0, from: [1082], serialize: String, parse: (t: string) => new SqlDate(t) },
      aetherflow_ts: { to: 0, from: [1114], serialize: String, parse: naiveTimestamp },
      aetherflow_tstz: { to: 0, from: [1184], serialize: String, parse: parseZonedTimestamp },
    },
  } as never);
  const head = `Resource ${resource} (${driver})`;
  const timeout = options.statement_timeout;
  let closed = false;

  const query = (q: DbQuery) => {
    if (closed) throw new AetherflowError(`${head}: connector is closed`, { code: "db:closed" });
    const bound = bindNamed(q.sql, q.params, (i) => `$${i}`, { reuse: true });
    return sql.unsafe(bound.sql, bound.values.map(sqlParam));
  };
  const columnsOf = (cols: { name: string; type: number }[] | undefined) => ({
    columns: (cols ?? []).map((c) => c.name),
    types: (cols ?? []).map((c) => postgresTypeName(c.type)),
  });

  const db: DbConnector = {
    resource,
    async fetchall(q): Promise<DbRows> {
      const pending = query(q).values();
      try {
        const rows: _Sql = await guarded(pending, {
          signal: ctx.signal,
          timeoutSeconds: timeout,
          cancel: () => pending.cancel(),
          head,
        });
        return { columns: columnsOf(rows.columns).columns, rows: rows as unknown[][] };
      } catch (e) {
        throw dbError(err, e);
      }
    },
    async fetchmany(q): Promise<DbStream> {
      const fetchSize = Math.max(1, q.fetch_size);
      const pending = query(q).values();
      const iterator: AsyncIterator<unknown[][]> = pending.cursor(fetchSize)[Symbol.asyncIterator]();
      const next = () =>
        guarded(iterator.next(), {
          signal: ctx.signal,
          timeoutSeconds: timeout,
          cancel: () => pending.cancel(),
          head,
        })
          .catch((e) => {
            throw dbError(err, e);
          });
      // The first batch carries the column list; an empty result is described instead.
      const first = await next();
      let meta: { columns: string[]; types: (string | null)[] };
      if (!first.done) meta = columnsOf((first.value as unknown as { columns?: [] }).columns);
      else {
        try {
          const described = await query(q).describe();
          meta = columnsOf(described.columns);
        } catch (e) {
          throw dbError(err, e);
        }
      }
      const batches = batchStream(
        (async function* () {
          if (first.done) return;
          yield first.value as unknown[][];
          // Ask for the next batch before handing this one out, so the server works while the step writes.
          let ahead = next();
          while (true) {
            const r = await ahead;
            if (r.done) break;
            ahead = next();
            yield r.value as unknown[][];
          }
        })(),
        () => iterator.return?.(),
      );
      return { ...meta, batches };
    },
    async csvCopy(q): Promise<DbCsvCopy | null> {
      if (closed) throw new AetherflowError(`${head}: connector is closed`, { code: "db:closed" });
      const bound = bindNamed(q.sql, q.params, (i) => `$${i}`, { reuse: true });
      // COPY takes no bind parameters: a parameterised query stays on the cursor path.
      if (bound.values.length > 0) return null;
      let described: { columns?: { name: string; type: number }[] };
      try {
        described = await guarded(sql.unsafe(bound.sql).describe(), {
          signal: ctx.signal,
          timeoutSeconds: timeout,
          cancel: () => {},
          head,
        });
      } catch (e) {
        // Not describable as a query here: the cursor path runs it and reports its own error.
        if (ctx.signal.aborted) throw dbError(err, e);
        return null;
      }
      const cols = described.columns ?? [];
      const plan = postgresCopyPlan(bound.sql, cols.map((c) => c.type), q);
      if (plan === null) return null;
      // Cells the server printed plainly are finished here (cheaper than cell expressions on the server).
      const finisher = new CopyFinisher(plan.finish, q);
      const pending = sql.unsafe(plan.sql);
      let cancelled = false;
      const cancel = () => {
        if (cancelled) return;
        cancelled = true;
        // Until the stream opens the driver cancels by itself; after that only a CancelRequest of ours does.
        if (pending.active || !pending.state) pending.cancel();
        else {
          sendCancelRequest(String(clientOptions.host), Number(clientOptions.port), pending.state).catch(
            () => {},
          );
        }
      };
      const call = <T>(work: PromiseLike<T>) =>
        guarded(work, { signal: ctx.signal, timeoutSeconds: timeout, cancel, head });
      let started = false;
      const refuse = (e: unknown): never => {
        // The marked cast (a value the fast form cannot print), or a server error before any row (a statement
        // that cannot stand as a sub-select): the rows are read again through the cursor path.
        const code = (e as { code?: unknown })?.code;
        const serverError = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) &&
          !_KEEP_ERRORS.test(code);
        if (!(e instanceof AetherflowError) && (isCopyFallback(e) || (!started && serverError))) {
          throw new DbCopyFallback(String(code));
        }
        throw dbError(err, e);
      };
      let reader: ReturnType<typeof copyReader>;
      const opened = Promise.resolve(pending.readable());
      try {
        reader = copyReader(await call(opened), finisher);
      } catch (e) {
        // Aborted or timed out before the stream opened: a stream that opens later still needs a reader (its
        // error would otherwise go unheard) and its end read, so that the connection is free again.
        opened.then((late) => copyReader(late, finisher).drain(30), () => {});
        return refuse(e);
      }
      let done = false;
      const close = async () => {
        if (done) return;
        done = true;
        if (reader.ended()) return;
        cancel();
        await reader.drain(30);
      };
      const chunks = (async function* () {
        try {
          while (true) {
            let chunk: Uint8Array | null;
            try {
              chunk = await call(reader.next());
            } catch (e) {
              return refuse(e);
            }
            if (chunk === null) break;
            started = true;
            if (chunk.length > 0) yield chunk;
          }
          done = true;
        } finally {
          await close();
        }
      })();
      return { ...columnsOf(cols), chunks, close, rows: () => finisher.rows };
    },
    async execute(q): Promise<{ rowcount: number }> {
      const pending = query(q);
      try {
        const r: _Sql = await guarded(pending, {
          signal: ctx.signal,
          timeoutSeconds: timeout,
          cancel: () => pending.cancel(),
          head,
        });
        return { rowcount: Number(r.count ?? 0) };
      } catch (e) {
        throw dbError(err, e);
      }
    },
    async probe(): Promise<void> {
      await db.fetchall({ sql: "SELECT 1", params: {} });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
  db.call = dbCall(db);
  return db;
}

export const dbPostgres = defineConnector({
  kind: "db",
  driver: "postgres",
  origin: "builtin",
  config: URL_DRIVER_CONFIG,
  options: URL_DRIVER_OPTIONS,
  create(resource, ctx) {
    const url = urlOfFamily(resource.config.url, "postgres", "db:postgres", "postgresql://");
    return createPostgresDb(
      resource.name,
      "db:postgres",
      url,
      resource.options,
      ctx,
      urlSecrets(resource.config.url),
    );
  },
});
