/**
 * `db:exasol` — Exasol through npm `@exasol/exasol-driver-ts` (WebSocket protocol, Deno's WebSocket), loaded
 * lazily. NOT VERIFIED AGAINST A SERVER (no Exasol server can run in CI): the DSN mapping and the statement
 * formatting below are unit-tested; docs/connectors.md "db:exasol" says so.
 *
 * Config `dsn` (`host:port`, first host of a list), `user`, `password` (required), `schema` (omitted when
 * empty), `encryption` (true). Options `timeout` (connect seconds), `fetch_size`. Parameters are pyexasol-style
 * `{name}` placeholders formatted client-side (`formatExasolSql`): the driver has no server-side binding.
 * The driver fetches a whole result per statement, so `fetchmany` hands out batches of an in-memory result.
 * @module
 */
import { AetherflowError, EXIT } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import type { DbConnector, DbRows, DbStream } from "../kinds/db.ts";
import { integerFromText, naiveTimestamp, SqlDate, SqlDecimal, textOf } from "../kinds/db_values.ts";
import { defineConnector } from "../types.ts";
import { dbCall, dbError, type DbErrorContext, guarded } from "./_db_common.ts";

const _CONFIG = fields.fixedMap({
  dsn: fields.text({ nonEmpty: true }),
  user: fields.text({ nonEmpty: true }),
  password: fields.text(),
  schema: fields.text({ default: null }),
  encryption: fields.bool({ default: true }),
});
const _OPTIONS = fields.fixedMap({
  timeout: fields.number({ default: 10, min: 0 }),
  fetch_size: fields.int({ default: 5000, min: 1 }),
  cache: fields.text({ default: null }),
});

function _configError(message: string): AetherflowError {
  return new AetherflowError(message, { code: "db:config", exitCode: EXIT.FAILED });
}

/** `host:port` of a pyexasol DSN (`h1,h2:8563`, `h1..3:8563` -> the first host; default port 8563). */
export function exasolAddress(dsn: string): { host: string; port: number } {
  const first = dsn.split(",")[0]!.trim();
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(first);
  if (!m) throw _configError("db:exasol config.dsn must look like host:port");
  let host = m[1]!;
  const range = /^(.*?)(\d+)\.\.(\d+)(.*)$/.exec(host);
  if (range) host = `${range[1]}${range[2]}${range[4]}`;
  const fallbackPort = /:(\d+)$/.exec(dsn.trim())?.[1];
  return { host: host.replace(/^\[|\]$/g, ""), port: Number(m[2] ?? fallbackPort ?? 8563) };
}

function _literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  return `'${textOf(value).replaceAll("'", "''")}'`;
}

/**
 * pyexasol-style formatting: `{name}` -> a SQL literal (strings quoted with `''` doubling, NULL, TRUE/FALSE,
 * numbers as is); `{name!i}` -> a quoted identifier; `{name!d}` / `{name!f}` -> a checked decimal / float;
 * `{name!r}` -> raw text; `{{` and `}}` -> braces.
 */
export function formatExasolSql(sql: string, params: unknown): string {
  const map = (params ?? {}) as Record<string, unknown>;
  return sql.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:!([idfr]))?\}/g, (whole, name, conv) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    if (!Object.hasOwn(map, name)) {
      throw new AetherflowError(`SQL parameter {${name}} has no value in params`, {
        code: "db:params",
        exitCode: EXIT.FAILED,
      });
    }
    const v = map[name];
    switch (conv) {
      case "i":
        return `"${textOf(v).replaceAll('"', '""')}"`;
      case "d":
        if (!/^[+-]?\d+(\.\d+)?$/.test(textOf(v))) {
          throw _configError(`SQL parameter {${name}!d} is not a decimal`);
        }
        return textOf(v);
      case "f":
        if (!Number.isFinite(Number(textOf(v))) || textOf(v).trim() === "") {
          throw _configError(`SQL parameter {${name}!f} is not a float`);
        }
        return textOf(v);
      case "r":
        return textOf(v);
      default:
        return _literal(v);
    }
  });
}

/** Declared type name of an Exasol column for dtypes (`decimal(18,0)`, `timestamp`, …). */
export function exasolTypeName(t: { type?: string; precision?: number; scale?: number }): string | null {
  const type = (t.type ?? "").toUpperCase();
  if (type === "DECIMAL") return `decimal(${t.precision ?? 36},${t.scale ?? 0})`;
  return type === "" ? null : type.toLowerCase();
}

/** A value as the WebSocket API sends it, typed by its column. */
export function exasolValue(t: { type?: string; scale?: number }, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const type = (t.type ?? "").toUpperCase();
  if (type === "DECIMAL" && (typeof value === "string" || typeof value === "number")) {
    const text = String(value);
    return /^-?\d+$/.test(text) ? integerFromText(text) : new SqlDecimal(text);
  }
  if (type === "DATE" && typeof value === "string") return new SqlDate(value);
  if (type === "TIMESTAMP" && typeof value === "string") return naiveTimestamp(value);
  return value;
}

// deno-lint-ignore no-explicit-any
type _Any = any;

export const dbExasol = defineConnector({
  kind: "db",
  driver: "exasol",
  origin: "builtin",
  config: _CONFIG,
  options: _OPTIONS,
  async create(resource, ctx): Promise<DbConnector> {
    const { ExasolDriver } = await import("@exasol/exasol-driver-ts");
    const { host, port } = exasolAddress(resource.config.dsn);
    const driver = "db:exasol";
    const err: DbErrorContext = {
      driver,
      resource: resource.name,
      address: `${host}:${port}`,
      secrets: resource.config.password ? [resource.config.password] : [],
    };
    const head = `Resource ${resource.name} (${driver})`;
    const config: Record<string, unknown> = {
      host,
      port,
      user: resource.config.user,
      password: resource.config.password,
      encryption: resource.config.encryption,
      autocommit: true,
      fetchSize: resource.options.fetch_size,
    };
    if (resource.config.schema) config.schema = resource.config.schema;
    const client: _Any = new ExasolDriver((url: string) => new WebSocket(url) as _Any, config as _Any);
    let connected: Promise<void> | null = null;
    const connect = () => {
      connected ??= guarded(client.connect() as Promise<void>, {
        signal: ctx.signal,
        timeoutSeconds: resource.options.timeout,
        cancel: () => client.close().catch(() => {}),
        head,
      }).catch((e) => {
        connected = null;
        throw dbError(err, e, "connect");
      });
      return connected;
    };
    const run = async (sql: string, params: unknown) => {
      await connect();
      try {
        const result: _Any = await guarded(client.query(formatExasolSql(sql, params)), {
          signal: ctx.signal,
          timeoutSeconds: null,
          cancel: () => client.cancel().catch(() => {}),
          head,
        });
        const cols: _Any[] = result.getColumns?.() ?? [];
        if (cols.length === 0) {
          throw new AetherflowError("pyexasol statement does not support fetchmany/fetchall/iteration", {
            code: "db:query",
            exitCode: EXIT.FAILED,
          });
        }
        const names = cols.map((c) => String(c.name));
        const rows = (result.getRows() as Record<string, unknown>[]).map((r) =>
          names.map((n, i) => exasolValue(cols[i].dataType ?? {}, r[n]))
        );
        return { columns: names, types: cols.map((c) => exasolTypeName(c.dataType ?? {})), rows };
      } catch (e) {
        throw dbError(err, e);
      }
    };
    const db: DbConnector = {
      resource: resource.name,
      async fetchall(q): Promise<DbRows> {
        const r = await run(q.sql, q.params);
        return { columns: r.columns, rows: r.rows };
      },
      async fetchmany(q): Promise<DbStream> {
        const r = await run(q.sql, q.params);
        const size = Math.max(1, q.fetch_size);
        const batches = (async function* () {
          for (let i = 0; i < r.rows.length; i += size) yield r.rows.slice(i, i + size);
        })();
        return { columns: r.columns, types: r.types, batches };
      },
      async execute(q): Promise<{ rowcount: number }> {
        await connect();
        try {
          const raw: _Any = await client.query(formatExasolSql(q.sql, q.params), undefined, undefined, "raw");
          return { rowcount: Number(raw?.responseData?.results?.[0]?.rowCount ?? 0) };
        } catch (e) {
          throw dbError(err, e);
        }
      },
      async probe(): Promise<void> {
        await db.fetchall({ sql: "SELECT 1", params: {} });
      },
      async close(): Promise<void> {
        if (connected) await client.close().catch(() => {});
        connected = null;
      },
    };
    db.call = dbCall(db);
    return db;
  },
});
