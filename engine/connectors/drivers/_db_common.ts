// Shared by the db drivers: the options schema of the URL drivers (pool, timeouts, connect_args), error wording
// (credentials scrubbed, host:port named), the run-abort/timeout plumbing, and the generic `call` that plugins
// reach through af_connector_call.
import type { z } from "zod";
import { AetherflowError, EXIT } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import type { JsonValue } from "../../types.ts";
import type { DbConnector, DbQuery } from "../kinds/db.ts";
import { jsonOf, SqlDate, SqlDecimal, SqlTimestamp } from "../kinds/db_values.ts";
import { scrubCredentials } from "./_db_url.ts";

/** `options` of `db:sqlalchemy`, `db:postgres`, `db:mysql` (docs/connectors.md "Pool and timeouts"). */
export const URL_DRIVER_OPTIONS = fields.fixedMap({
  pool: fields.map({
    size: fields.int({ default: null, min: 1 }),
    max_overflow: fields.int({ default: null, min: 0 }),
    recycle_seconds: fields.number({ default: null, min: 0 }),
    pre_ping: fields.bool({ default: null as unknown as boolean }),
  }),
  pool_size: fields.int({ default: null, min: 1 }),
  max_overflow: fields.int({ default: null, min: 0 }),
  pool_recycle: fields.number({ default: null, min: 0 }),
  pool_pre_ping: fields.bool({ default: null as unknown as boolean }),
  connect_args: fields.record(),
  connect_timeout: fields.number({ default: 10, min: 0 }),
  statement_timeout: fields.number({ default: null, min: 0 }),
  cache: fields.text({ default: null }),
});
export type UrlDriverOptions = z.output<typeof URL_DRIVER_OPTIONS>;

/** Pool settings after defaults and the flat fallbacks (`pool.size` wins over `pool_size`). */
export interface PoolSettings {
  size: number;
  maxOverflow: number;
  recycleSeconds: number;
  prePing: boolean;
}

export function poolSettings(o: UrlDriverOptions): PoolSettings {
  const pool = o.pool as Record<string, unknown>;
  const pick = <T>(a: unknown, b: unknown, dflt: T): T =>
    (a !== null && a !== undefined ? a : b !== null && b !== undefined ? b : dflt) as T;
  return {
    size: pick(pool.size, o.pool_size, 5),
    maxOverflow: pick(pool.max_overflow, o.max_overflow, 10),
    recycleSeconds: pick(pool.recycle_seconds, o.pool_recycle, 1800),
    prePing: pick(pool.pre_ping, o.pool_pre_ping, true),
  };
}

/** `config` of the URL drivers. */
export const URL_DRIVER_CONFIG = fields.fixedMap({ url: fields.text({ nonEmpty: true }) });

const _CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
]);
const _LOST_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
]);

/** What an error says, without credentials. */
export function rawMessage(err: unknown, secrets: readonly string[]): string {
  const e = err as { message?: unknown; code?: unknown };
  const text = typeof e?.message === "string" && e.message !== "" ? e.message : String(err);
  return scrubCredentials(text, secrets);
}

/** Whether an error is a connection failure (refused, unreachable, timed out, dropped). */
export function isConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && _CONNECT_CODES.has(code);
}

export interface DbErrorContext {
  /** `db:postgres` */
  driver: string;
  resource: string;
  /** `host:port` of the server (named in connection errors). */
  address: string;
  /** Secret strings to remove from driver text (password, raw and decoded). */
  secrets: readonly string[];
}

/**
 * A db failure as an AetherflowError: `Resource <r> (db:<d>): cannot connect to <host:port>: <reason>` for
 * connection failures, `Resource <r> (db:<d>): <driver message>` otherwise; never a URL password.
 */
export function dbError(
  ctx: DbErrorContext,
  err: unknown,
  phase: "connect" | "query" = "query",
): AetherflowError {
  if (err instanceof AetherflowError) return err;
  const msg = rawMessage(err, ctx.secrets);
  const head = `Resource ${ctx.resource} (${ctx.driver})`;
  const code = (err as { code?: unknown })?.code;
  const codeText = typeof code === "string" && code !== "" && !msg.includes(code) ? ` [${code}]` : "";
  if (typeof code === "string" && _LOST_CODES.has(code)) {
    return new AetherflowError(`${head}: connection to ${ctx.address} lost: ${msg}${codeText}`, {
      code: "db:connection_lost",
      exitCode: EXIT.FAILED,
    });
  }
  if (phase === "connect" || isConnectError(err)) {
    return new AetherflowError(`${head}: cannot connect to ${ctx.address}: ${msg}${codeText}`, {
      code: "db:connect",
      exitCode: EXIT.FAILED,
    });
  }
  return new AetherflowError(`${head}: ${msg}${codeText}`, { code: "db:query", exitCode: EXIT.FAILED });
}

/** `host:port` for messages (IPv6 in brackets). */
export function addressOf(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Run `work` so that the run's abort signal and a statement timeout (seconds, null = none) stop it: `cancel` is
 * called once and the promise rejects with `db:aborted` / `db:timeout`.
 */
export async function guarded<T>(
  thenable: PromiseLike<T>,
  opts: {
    signal: AbortSignal;
    timeoutSeconds: number | null;
    cancel: () => void;
    head: string;
  },
): Promise<T> {
  // Driver "promises" may be bare thenables (lazy queries): adopt them first.
  const work = Promise.resolve(thenable);
  if (opts.signal.aborted) {
    opts.cancel();
    throw _aborted(opts.head);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => {
      opts.cancel();
      reject(_aborted(opts.head));
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    if (opts.timeoutSeconds !== null && opts.timeoutSeconds > 0) {
      timer = setTimeout(() => {
        opts.cancel();
        reject(
          new AetherflowError(`${opts.head}: statement timed out after ${opts.timeoutSeconds}s`, {
            code: "db:timeout",
            exitCode: EXIT.FAILED,
          }),
        );
      }, opts.timeoutSeconds * 1000);
    }
  });
  stop.catch(() => {});
  work.catch(() => {}); // when `stop` wins, the driver's own rejection is expected and ignored
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal.removeEventListener("abort", onAbort);
  }
}

function _aborted(head: string): AetherflowError {
  return new AetherflowError(`${head}: statement cancelled: the run was aborted`, {
    code: "db:aborted",
    exitCode: EXIT.FAILED,
  });
}

/** Deadline of a whole statement (for streams: checked between batches). */
export function deadlineOf(timeoutSeconds: number | null, now = Date.now()): number {
  return timeoutSeconds !== null && timeoutSeconds > 0 ? now + timeoutSeconds * 1000 : Infinity;
}

/** The generic entry point of a built-in db connector (plugins' af_connector_call): JSON in, JSON out. */
export function dbCall(
  db: DbConnector,
): (method: string, args: JsonValue) => Promise<JsonValue> {
  return async (method, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    const q: DbQuery = { sql: String(a.sql ?? ""), params: (a.params ?? {}) as Record<string, unknown> };
    if (method === "fetchall" || method === "read") {
      const r = await db.fetchall(q);
      return { columns: r.columns, rows: jsonOf(r.rows) } as JsonValue;
    }
    if (method === "fetchmany" && db.fetchmany) {
      const s = await db.fetchmany({ ...q, fetch_size: Number(a.fetch_size ?? 5000) });
      const rows: unknown[][] = [];
      for await (const batch of s.batches) rows.push(...batch);
      return { columns: s.columns, types: s.types, rows: jsonOf(rows) } as JsonValue;
    }
    if (method === "execute" && db.execute) return (await db.execute(q)) as unknown as JsonValue;
    throw new AetherflowError(`Resource ${db.resource}: db connectors have no method ${method}`, {
      code: "connector:method",
      exitCode: EXIT.FAILED,
    });
  };
}

/** A parameter value for a driver: typed SQL values as their text (the server casts by context). */
export function sqlParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof SqlDecimal || value instanceof SqlDate) return value.text;
  if (value instanceof SqlTimestamp) return value.toText();
  if (typeof value === "bigint") return value.toString();
  return value;
}
