/**
 * `db:sqlalchemy` — dispatches on the URL's dialect (SQLAlchemy URL rules, docs/connectors.md
 * "db:sqlalchemy"): `postgresql[+driver]://` -> npm `postgres`, `mysql[+driver]://` / `mariadb://` -> npm
 * `mysql2`, `sqlite:///path` -> `node:sqlite`. Other dialects fail with the list of supported ones (Oracle and
 * Exasol have their own drivers, `db:oracledb` and `db:exasol`, configured with a DSN).
 * @module
 */
import { AetherflowError, EXIT } from "../../errors.ts";
import type { DbConnector } from "../kinds/db.ts";
import { type ConnectorCreateContext, defineConnector } from "../types.ts";
import { URL_DRIVER_CONFIG, URL_DRIVER_OPTIONS, type UrlDriverOptions } from "./_db_common.ts";
import { type DbUrl, dialectFamily, parseDbUrl, queryValue, urlSecrets } from "./_db_url.ts";
import { createMysqlDb } from "./db_mysql.ts";
import { createPostgresDb } from "./db_postgres.ts";
import { createSqliteDb } from "./db_sqlite3.ts";

/** The SQLite file of a `sqlite://` URL: `sqlite:///a.db` -> `a.db`, `sqlite:////abs/a.db` -> `/abs/a.db`. */
export function sqliteFileOf(url: DbUrl): string {
  return url.database ?? ":memory:";
}

/** The backend a URL selects (pure, for tests and messages). */
export function sqlalchemyBackend(url: DbUrl): "postgres" | "mysql" | "sqlite" {
  const family = dialectFamily(url);
  if (family === "postgres" || family === "mysql" || family === "sqlite") return family;
  const hint = family === "oracle"
    ? " (use db:oracledb with user/password/dsn)"
    : family === "exasol"
    ? " (use db:exasol with dsn/user/password)"
    : family === "duckdb"
    ? " (db:duckdb is not available in this build)"
    : "";
  throw new AetherflowError(
    `db:sqlalchemy does not support the dialect ${
      JSON.stringify(url.dialect)
    }${hint}; supported: postgresql, mysql, mariadb, sqlite`,
    { code: "db:url", exitCode: EXIT.FAILED },
  );
}

/** Create the connector a URL selects. */
export function createFromUrl(
  resource: string,
  driver: string,
  rawUrl: string,
  options: UrlDriverOptions,
  ctx: ConnectorCreateContext,
): Promise<DbConnector> {
  const url = parseDbUrl(rawUrl);
  const secrets = urlSecrets(rawUrl);
  switch (sqlalchemyBackend(url)) {
    case "postgres":
      return createPostgresDb(resource, driver, url, options, ctx, secrets);
    case "mysql":
      return createMysqlDb(resource, driver, url, options, ctx, secrets);
    case "sqlite":
      return createSqliteDb(resource, driver, sqliteFileOf(url), {
        readOnly: queryValue(url, "mode") === "ro",
        timeoutSeconds: Number(queryValue(url, "timeout") ?? 5),
      }, ctx);
  }
}

export const dbSqlalchemy = defineConnector({
  kind: "db",
  driver: "sqlalchemy",
  origin: "builtin",
  config: URL_DRIVER_CONFIG,
  options: URL_DRIVER_OPTIONS,
  create: (resource, ctx) =>
    createFromUrl(resource.name, "db:sqlalchemy", resource.config.url, resource.options, ctx),
});
