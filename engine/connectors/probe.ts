/**
 * `doctor --connect` (docs/architecture.md "Connection probes"): open each resource and check it answers, within a timeout,
 * without changing anything. Generic over the connector contract:
 *
 * 1. a TCP connection to the endpoint the resource's config names (`host`/`port`, `base_url`, `dsn`), so an
 *    unreachable host fails fast with the OS's reason, whatever the driver;
 * 2. the connector is created (drivers connect and log in here);
 * 3. the driver's own `probe()` when it has one, else the kind's read-only check: db `SELECT 1`, sftp/smb
 *    `list` of the base directory (`.`, smb `/`), rest `HEAD` (then `GET`) of the base URL; a plugin connector whose methods
 *    include `probe` (or any method) is called with `probe`; mail without a driver probe is skipped (sending a
 *    message is not a probe).
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { AccessorResource, ConnectorAccessor } from "./accessor.ts";
import type { Connector } from "./types.ts";
import { tcpConnect } from "./_probe_io.ts";

/** One resource's verdict. `detail` is masked. */
export interface ProbeResult {
  resource: string;
  kind: string;
  driver: string;
  status: "OK" | "FAIL" | "SKIP";
  detail: string;
  duration_ms: number;
}

/** What a driver may implement: a read-only liveness check returning what it saw (`PostgreSQL 16.4`). */
export interface ProbeableConnector extends Connector {
  probe?(ctx: { signal: AbortSignal }): Promise<string | void>;
}

export interface ProbeOptions {
  /** Budget of the whole probe of one resource (connect, create, check). */
  timeoutMs: number;
  /** Applied to every detail text (D18). */
  mask: (text: string) => string;
  /** TCP reachability check (tests inject one); default: a real connection. */
  connect?: (host: string, port: number, signal: AbortSignal) => Promise<void>;
  /** Monotonic ms for durations; default `performance.now`. */
  monotonic?: () => number;
  /** The definition's declared methods (plugin connectors): `probe` is called only when declared or any. */
  methods?: readonly string[];
}

/** Ports a driver listens on when the config names none. */
const _DEFAULT_PORTS: Readonly<Record<string, number>> = {
  postgres: 5432,
  postgresql: 5432,
  pg: 5432,
  psycopg: 5432,
  psycopg2: 5432,
  mysql: 3306,
  mariadb: 3306,
  pymysql: 3306,
  oracle: 1521,
  cx_oracle: 1521,
  oracledb: 1521,
  mssql: 1433,
  sqlserver: 1433,
  pyodbc: 1433,
};

function _str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function _port(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

function _fromUrl(text: string): { host: string; port: number } | null {
  try {
    const url = new URL(text);
    if (url.hostname === "") return null;
    const known: Record<string, number> = {
      "http:": 80,
      "https:": 443,
      "ftp:": 21,
      "sftp:": 22,
      "smtp:": 25,
    };
    const port = _port(url.port) ?? known[url.protocol] ?? _DEFAULT_PORTS[url.protocol.replace(/:$/, "")];
    return port === undefined ? null : { host: url.hostname.replace(/^\[|\]$/g, ""), port };
  } catch {
    return null;
  }
}

/** The TCP endpoint a resource's config names, or null when it names none (files, archives, plugin kinds). */
export function probeEndpoint(resource: AccessorResource): { host: string; port: number } | null {
  const c = resource.config;
  const url = _str(c.base_url) ?? _str(c.url) ?? _str(c.dsn) ?? _str(c.uri);
  if (url !== undefined) return _fromUrl(url);
  const host = _str(c.host) ?? _str(c.hostname) ?? _str(c.server);
  if (host === undefined) return null;
  const explicit = _port(c.port);
  if (explicit !== undefined) return { host, port: explicit };
  const driver = resource.driver.toLowerCase();
  const byKind: Record<string, number | undefined> = {
    db: _DEFAULT_PORTS[driver],
    sftp: 22,
    smb: 445,
    mail: c.ssl === true || c.secure === true ? 465 : c.starttls === true ? 587 : 25,
  };
  const port = byKind[resource.kind];
  return port === undefined ? null : { host, port };
}

class _Timeout extends Error {}

/** Probe one resource; never throws. */
export async function probeResource(
  accessor: ConnectorAccessor,
  name: string,
  resource: AccessorResource,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const now = options.monotonic ?? (() => performance.now());
  const t0 = now();
  const controller = new AbortController();
  let phase = "starting";
  const base = { resource: name, kind: resource.kind, driver: resource.driver };
  const done = (status: ProbeResult["status"], detail: string): ProbeResult => ({
    ...base,
    status,
    detail: options.mask(detail),
    duration_ms: Math.max(0, Math.trunc(now() - t0)),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new _Timeout()), options.timeoutMs);
  });
  const work = async (): Promise<ProbeResult> => {
    const endpoint = probeEndpoint(resource);
    if (endpoint !== null) {
      phase = `connecting to ${endpoint.host}:${endpoint.port}`;
      try {
        await (options.connect ?? tcpConnect)(endpoint.host, endpoint.port, controller.signal);
      } catch (err) {
        return done("FAIL", `cannot connect to ${endpoint.host}:${endpoint.port}: ${errorMessage(err)}`);
      }
    }
    phase = "opening the connector";
    const connector = await accessor.named(name) as ProbeableConnector;
    phase = "probing";
    const seen = await _check(accessor, name, resource, connector, {
      signal: controller.signal,
      methods: options.methods,
    });
    if (seen === null) {
      return done("SKIP", `no probe for kind ${resource.kind} (driver ${resource.driver} has none)`);
    }
    return done("OK", seen);
  };
  try {
    return await Promise.race([work(), timeout]);
  } catch (err) {
    if (err instanceof _Timeout) {
      controller.abort(new Error("probe timed out"));
      return done("FAIL", `timed out after ${options.timeoutMs} ms (${phase})`);
    }
    return done("FAIL", `${phase}: ${errorMessage(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The read-only check; null when the resource has none. Returns what it saw. */
async function _check(
  accessor: ConnectorAccessor,
  name: string,
  resource: AccessorResource,
  connector: ProbeableConnector,
  ctx: { signal: AbortSignal; methods?: readonly string[] },
): Promise<string | null> {
  if (typeof connector.probe === "function") {
    return (await connector.probe({ signal: ctx.signal })) || "probe answered";
  }
  switch (resource.kind) {
    case "db": {
      const r = await (await accessor.db(name)).fetchall({ sql: "SELECT 1", params: {} });
      return `SELECT 1 returned ${r.rows.length} row(s)`;
    }
    case "sftp":
    case "smb": {
      const files = resource.kind === "sftp" ? await accessor.sftp(name) : await accessor.smb(name);
      const dir = _str(resource.config.base_dir) ?? _str(resource.config.root) ??
        _str(resource.config.path) ?? (resource.kind === "smb" ? "/" : ".");
      const entries = await files.list({ path: dir });
      return `listed ${dir}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}`;
    }
    case "rest": {
      const rest = await accessor.rest(name);
      let r = await rest.request({ method: "HEAD", url: "" });
      if (r.status === 405 || r.status === 501) r = await rest.request({ method: "GET", url: "" });
      if (r.status >= 500) throw new Error(`HTTP ${r.status}`);
      return `HTTP ${r.status}`;
    }
    case "archive":
      return "local archives: nothing to connect to";
    case "mail":
      return null;
    default:
      if (ctx.methods !== undefined && ctx.methods.length > 0 && !ctx.methods.includes("probe")) return null;
      if (typeof connector.call === "function") {
        await connector.call("probe", {});
        return "probe answered";
      }
      return null;
  }
}
