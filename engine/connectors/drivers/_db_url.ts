// SQLAlchemy database URLs (`dialect+driver://user:password@host:port/database?key=value`), parsed by the rules
// SQLAlchemy 2 applies (docs/connectors.md "db:sqlalchemy"): user and password percent-decoded, an IPv6 host in
// brackets, the database is the rest of the path (for sqlite a file path), query values decoded (a repeated
// key gives a list). Also the credential scrubber every db error goes through.
import { AetherflowError, EXIT } from "../../errors.ts";

export interface DbUrl {
  /** `postgresql`, `mysql`, `mariadb`, `sqlite`, `oracle`, … (lower-cased). */
  dialect: string;
  /** The `+driver` part (`psycopg2`, `pymysql`), or null. */
  driver: string | null;
  username: string | null;
  password: string | null;
  host: string | null;
  port: number | null;
  database: string | null;
  query: Record<string, string | string[]>;
}

const _URL =
  /^(?<name>[\w+]+):\/\/(?:(?<username>[^:/]*)(?::(?<password>[^@]*))?@)?(?:(?:\[(?<ipv6host>[^/?]+)\]|(?<ipv4host>[^/:?]+))?(?::(?<port>[^/?]*))?)?(?:\/(?<database>[^?]*))?(?:\?(?<query>.*))?$/s;

function _invalid(): AetherflowError {
  // Never quote the URL: it may hold a password.
  return new AetherflowError("Could not parse the database URL (expected dialect[+driver]://…)", {
    code: "db:url",
    exitCode: EXIT.FAILED,
  });
}

function _decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parse a SQLAlchemy URL.
 * @throws {AetherflowError} `db:url` without quoting the URL.
 */
export function parseDbUrl(url: string): DbUrl {
  const m = _URL.exec(url.trim());
  if (!m?.groups) throw _invalid();
  const g = m.groups;
  const [dialect, driver] = g.name!.toLowerCase().split("+", 2) as [string, string | undefined];
  let port: number | null = null;
  if (g.port !== undefined && g.port !== "") {
    if (!/^\d+$/.test(g.port)) throw _invalid();
    port = Number(g.port);
  }
  const query: Record<string, string | string[]> = {};
  if (g.query) {
    for (const part of g.query.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const key = _decode((eq < 0 ? part : part.slice(0, eq)).replaceAll("+", " "));
      const value = eq < 0 ? "" : _decode(part.slice(eq + 1).replaceAll("+", " "));
      const prev = query[key];
      query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
  }
  return {
    dialect,
    driver: driver ?? null,
    username: g.username !== undefined && g.username !== "" ? _decode(g.username) : null,
    password: g.password !== undefined ? _decode(g.password) : null,
    host: g.ipv6host ?? (g.ipv4host !== undefined && g.ipv4host !== "" ? g.ipv4host : null),
    port,
    database: g.database !== undefined && g.database !== "" ? g.database : null,
    query,
  };
}

/** The single value of a query key (the last one when repeated). */
export function queryValue(url: DbUrl, key: string): string | undefined {
  const v = url.query[key];
  return Array.isArray(v) ? v.at(-1) : v;
}

/** The dialect family a driver module serves. */
export type DbFamily = "postgres" | "mysql" | "sqlite" | "oracle" | "exasol" | "duckdb";

const _FAMILIES: Record<string, DbFamily> = {
  postgresql: "postgres",
  postgres: "postgres",
  psql: "postgres",
  mysql: "mysql",
  mariadb: "mysql",
  sqlite: "sqlite",
  oracle: "oracle",
  exa: "exasol",
  exasol: "exasol",
  duckdb: "duckdb",
};

/** The family of a URL's dialect, or undefined. */
export function dialectFamily(url: DbUrl): DbFamily | undefined {
  return Object.hasOwn(_FAMILIES, url.dialect) ? _FAMILIES[url.dialect] : undefined;
}

/** Dialects `db:sqlalchemy` understands, for messages. */
export const KNOWN_DIALECTS = Object.keys(_FAMILIES);

const _CREDENTIAL_URL = /\b([a-z][\w+.-]*:\/\/)([^\s:/@]*):([^\s@]*)@/gi;

/**
 * Remove the password of every credentialed URL in a text (`postgresql://u:pw@h` -> `postgresql://u:***@h`).
 * Driver errors echo connection strings; every db error passes through this before it leaves the driver.
 */
export function scrubCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(_CREDENTIAL_URL, "$1$2:***@");
  for (const s of secrets) if (s.length > 0 && out.includes(s)) out = out.split(s).join("***");
  return out;
}

/** The secret strings of a URL as they may appear in text: its password, raw and percent-decoded. */
export function urlSecrets(url: string): string[] {
  const m = _URL.exec(url.trim());
  const raw = m?.groups?.password;
  if (raw === undefined || raw === "") return [];
  return [...new Set([raw, _decode(raw), encodeURIComponent(_decode(raw))])];
}

/**
 * Parse a URL for a driver that serves one dialect family (`db:postgres`, `db:mysql`).
 * @throws {AetherflowError} `db:<d> needs a <wanted> URL, got dialect "<x>" (db:sqlalchemy dispatches on the URL)`.
 */
export function urlOfFamily(text: string, family: DbFamily, driver: string, wanted: string): DbUrl {
  const url = parseDbUrl(text);
  if (dialectFamily(url) !== family) {
    throw new AetherflowError(
      `${driver} needs a ${wanted} URL, got dialect ${
        JSON.stringify(url.dialect)
      } (db:sqlalchemy dispatches on the URL)`,
      { code: "db:url", exitCode: EXIT.FAILED },
    );
  }
  return url;
}
