/**
 * Where state lives (docs/state.md "Backends"): a SQLite file or a PostgreSQL database, how each is written on a
 * command line (`sqlite:<path>`, `postgres://…`), and how a URL is shown without its password.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { UsageError } from "../errors.ts";

/** A SQLite file (absolute path, or `:memory:`) or a PostgreSQL database (URL with credentials, schema). */
export type StateTarget =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string };

/** The schema holding the tables when none is configured. */
export const DEFAULT_PG_SCHEMA = "public";

const _SCHEMA_REGEXP = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether `text` is a PostgreSQL connection URL (`postgres://` or `postgresql://`). */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text.trim());
}

/** Problem with a schema name, or undefined when it is usable (lower case, unquoted identifier). */
export function schemaNameProblem(schema: string): string | undefined {
  return _SCHEMA_REGEXP.test(schema)
    ? undefined
    : `must be a lower-case identifier (letters, digits, _; at most 63), got ${JSON.stringify(schema)}`;
}

/**
 * A PostgreSQL target. The URL must parse and name a host; the schema must be a plain identifier.
 * @throws {UsageError} naming the redacted URL, never the password.
 */
export function postgresTarget(url: string, schema: string = DEFAULT_PG_SCHEMA): StateTarget {
  const trimmed = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new UsageError(
      `Invalid PostgreSQL URL: ${redactUrl(trimmed)} (expected postgres://user:pw@host:5432/db)`,
    );
  }
  if (!isPostgresUrl(trimmed) || parsed.hostname === "") {
    throw new UsageError(
      `Invalid PostgreSQL URL: ${redactUrl(trimmed)} (expected postgres://user:pw@host:5432/db)`,
    );
  }
  const problem = schemaNameProblem(schema);
  if (problem) throw new UsageError(`Invalid PostgreSQL schema: ${problem}`);
  return { kind: "postgres", url: trimmed, schema };
}

/**
 * A target written on a command line: `sqlite:<path>`, `postgres:<url>`, a bare `postgres://…` URL, or a bare
 * path (SQLite). Relative paths are resolved against `cwd`.
 */
export function parseStateLocator(text: string, cwd: string): StateTarget {
  const t = text.trim();
  if (t === "") throw new UsageError("Empty state location (expected sqlite:<path> or postgres://…)");
  if (/^postgres(ql)?:(?!\/\/)/i.test(t)) return postgresTarget(t.slice(t.indexOf(":") + 1));
  if (isPostgresUrl(t)) return postgresTarget(t);
  const path = /^sqlite:/i.test(t) ? t.slice("sqlite:".length) : t;
  if (path === "") throw new UsageError("Empty SQLite path in state location (expected sqlite:<path>)");
  return { kind: "sqlite", path: path === ":memory:" || isAbsolute(path) ? path : resolve(cwd, path) };
}

/** The URL without its password (user info keeps the user), and without password-like query parameters. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable: drop anything between "://" and "@" rather than risk printing a password.
    return url.replace(/:\/\/[^@/]*@/, "://***@");
  }
  if (parsed.password !== "") parsed.password = "";
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.toString();
}

/** How a target is shown to users: the file path, or the redacted URL (plus the schema when not `public`). */
export function describeTarget(target: StateTarget): string {
  if (target.kind === "sqlite") return target.path;
  const shown = redactUrl(target.url);
  return target.schema === DEFAULT_PG_SCHEMA ? shown : `${shown} (schema ${target.schema})`;
}

/** The secrets a URL carries (password, raw and decoded; password-like query values), for the masker. */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") {
      out.add(parsed.password);
      try {
        out.add(decodeURIComponent(parsed.password));
      } catch { /* not percent-encoded */ }
    }
    for (const [key, value] of parsed.searchParams) {
      if (/pass|secret|token|key/i.test(key) && value !== "") out.add(value);
    }
  } catch {
    const m = /:\/\/[^:@/]*:([^@/]*)@/.exec(url);
    if (m?.[1]) out.add(m[1]);
  }
  return [...out].filter((s) => s.length > 0);
}
