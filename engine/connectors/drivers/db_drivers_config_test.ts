// Config mapping and statement building of the db drivers, pure (no server). Oracle and Exasol are tested only
// this way: no server of theirs can run here (docs/connectors.md marks them "not verified against a server").
import assert from "node:assert/strict";
import { parseResourceConfig } from "../config.ts";
import { parseDbUrl } from "./_db_url.ts";
import type { UrlDriverOptions } from "./_db_common.ts";
import { dbPostgres, postgresClientOptions, postgresTypeName } from "./db_postgres.ts";
import { dbMysql, mysqlClientOptions, mysqlTypeName } from "./db_mysql.ts";
import {
  dbOracledb,
  ORACLE_SESSION_SQL,
  oracleConnectOptions,
  oracleTypeName,
  oracleValue,
} from "./db_oracledb.ts";
import { dbExasol, exasolAddress, exasolTypeName, exasolValue, formatExasolSql } from "./db_exasol.ts";
import { sqlitePath } from "./db_sqlite3.ts";
import { SqlDate, SqlDecimal, SqlTimestamp } from "../kinds/db_values.ts";

function opts(
  def: unknown,
  options: Record<string, unknown>,
  config: Record<string, unknown>,
): UrlDriverOptions {
  return parseResourceConfig(def as never, { name: "r", config, options }).options as UrlDriverOptions;
}

Deno.test("postgres: URL, pool (nested wins over flat), timeouts and connect_args map to the client", () => {
  const url = parseDbUrl(
    "postgresql+psycopg2://app:p%40ss@db:6543/sales?sslmode=require&application_name=etl",
  );
  const o = opts(dbPostgres, {
    pool: { size: 3 },
    pool_size: 9,
    max_overflow: 2,
    pool_recycle: 60,
    connect_timeout: 4,
    statement_timeout: 30,
    connect_args: { options: "-c search_path=etl -c lock_timeout=5000" },
  }, { url: "x" });
  const c = postgresClientOptions(url, o);
  assert.deepEqual(
    [c.host, c.port, c.user, c.password, c.database, c.ssl, c.max, c.max_lifetime, c.connect_timeout],
    ["db", 6543, "app", "p@ss", "sales", "require", 5, 60, 4],
  );
  assert.deepEqual(c.connection, {
    application_name: "etl",
    search_path: "etl",
    lock_timeout: "5000",
    statement_timeout: 30000,
  });
  assert.equal(
    postgresClientOptions(parseDbUrl("postgres://h/d"), opts(dbPostgres, {}, { url: "x" })).max,
    15,
  );
  assert.deepEqual([postgresTypeName(1700), postgresTypeName(1184), postgresTypeName(99999)], [
    "numeric",
    "timestamptz",
    null,
  ]);
});

Deno.test("mysql: exact numbers and dates are asked for; pool and connect_args mapped", () => {
  const c = mysqlClientOptions(
    parseDbUrl("mysql+pymysql://app:pw@db/sales?charset=utf8mb4"),
    opts(dbMysql, {
      pool: { size: 2, max_overflow: 1 },
      connect_args: { connect_timeout: 3, ssl: { ca: "x" } },
    }, { url: "x" }),
  );
  assert.deepEqual(
    [
      c.host,
      c.port,
      c.database,
      c.connectionLimit,
      c.maxIdle,
      c.connectTimeout,
      c.ssl,
      c.supportBigNumbers,
      c.bigNumberStrings,
      c.dateStrings,
      c.decimalNumbers,
    ],
    ["db", 3306, "sales", 3, 2, 3000, { ca: "x" }, true, true, true, false],
  );
  const names = { 246: "NEWDECIMAL", 8: "LONGLONG", 252: "BLOB", 12: "DATETIME" };
  assert.equal(mysqlTypeName({ columnType: 246, columnLength: 12, decimals: 0 }, names), "decimal(12,0)");
  assert.equal(mysqlTypeName({ columnType: 252, characterSet: 63 }, names), "blob");
  assert.equal(mysqlTypeName({ columnType: 252, characterSet: 224 }, names), "text");
  assert.equal(mysqlTypeName({ columnType: 12 }, names), "datetime");
});

Deno.test("sqlite3: a sqlite:/// url wins over path; neither is the contract error", () => {
  assert.equal(sqlitePath({ url: "sqlite:///a.db", path: "b.db" }), "a.db");
  assert.equal(sqlitePath({ url: null, path: "b.db" }), "b.db");
  assert.throws(
    () => sqlitePath({ url: null, path: null }),
    /SQLite connector requires config.path or config.url/,
  );
  assert.throws(() => sqlitePath({ url: "postgres://h/d", path: null }), /must start with sqlite:\/\/\//);
});

Deno.test("oracledb (not verified against a server): pool, arraysize, lib_dir, NLS session and values", () => {
  const parsed = parseResourceConfig(dbOracledb as never, {
    name: "r",
    config: { user: "u", password: "pw", dsn: "db:1521/ORCL" },
    options: { pool: { size: 6 }, arraysize: 100, oracle: { lib_dir: "/opt/ic" }, statement_timeout: 2 },
  }) as { config: { user: string; password: string; dsn: string }; options: never };
  const o = oracleConnectOptions(parsed.config, parsed.options);
  assert.deepEqual(o, {
    pooled: true,
    arraysize: 100,
    libDir: "/opt/ic",
    attrs: {
      user: "u",
      password: "pw",
      connectString: "db:1521/ORCL",
      connectTimeout: 10,
      poolMin: 1,
      poolMax: 6,
      poolIncrement: 1,
      callTimeout: 2000,
    },
  });
  const flat = parseResourceConfig(dbOracledb as never, {
    name: "r",
    config: { user: "u", password: "pw", dsn: "d" },
    options: { pool_enabled: "false" },
  }) as { config: { user: string; password: string; dsn: string }; options: never };
  assert.equal(oracleConnectOptions(flat.config, flat.options).pooled, false);
  assert.ok(
    ORACLE_SESSION_SQL.some((s) =>
      s.includes("NLS_TIMESTAMP_TZ_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF6TZH:TZM'")
    ),
  );
  assert.equal(oracleTypeName({ dbTypeName: "NUMBER", precision: 10, scale: 0 }), "number(10,0)");
  assert.equal(oracleTypeName({ dbTypeName: "NUMBER", scale: -127 }), "number");
  assert.equal(oracleTypeName({ dbTypeName: "DATE" }), "datetime");
  assert.equal(oracleValue({ dbTypeName: "NUMBER" }, "9007199254740993"), 9007199254740993n);
  assert.deepEqual(oracleValue({ dbTypeName: "NUMBER" }, "12.50"), new SqlDecimal("12.50"));
  assert.deepEqual(
    oracleValue({ dbTypeName: "DATE" }, "2024-02-29 13:14:15"),
    new SqlTimestamp("2024-02-29 13:14:15", null),
  );
  assert.deepEqual(
    oracleValue({ dbTypeName: "TIMESTAMP WITH TIME ZONE" }, "2024-02-29 13:14:15.123000+05:30"),
    new SqlTimestamp("2024-02-29 13:14:15.123", "+05:30"),
  );
});

Deno.test("exasol (not verified against a server): DSN, pyexasol-style statement formatting, values", () => {
  assert.deepEqual(exasolAddress("exa1..3:8563"), { host: "exa1", port: 8563 });
  assert.deepEqual(exasolAddress("10.0.0.5,10.0.0.6:8564"), { host: "10.0.0.5", port: 8564 });
  assert.deepEqual(exasolAddress("exa"), { host: "exa", port: 8563 });
  assert.equal(
    formatExasolSql("select {a}, {b}, {n}, {t}, {x!i}, {d!d}, {r!r} from {{t}}", {
      a: "O'Brien",
      b: null,
      n: 5,
      t: true,
      x: 'we"ird',
      d: "12.5",
      r: "CURRENT_DATE",
    }),
    `select 'O''Brien', NULL, 5, TRUE, "we""ird", 12.5, CURRENT_DATE from {t}`,
  );
  assert.throws(() => formatExasolSql("select {nope}", {}), /SQL parameter \{nope\} has no value in params/);
  assert.throws(() => formatExasolSql("select {d!d}", { d: "1; drop" }), /is not a decimal/);
  assert.equal(exasolTypeName({ type: "DECIMAL", precision: 18, scale: 0 }), "decimal(18,0)");
  assert.equal(exasolValue({ type: "DECIMAL" }, "12345678901234567890"), 12345678901234567890n);
  assert.deepEqual(exasolValue({ type: "DATE" }, "2024-02-29"), new SqlDate("2024-02-29"));
  const parsed = parseResourceConfig(dbExasol as never, {
    name: "r",
    config: { dsn: "h:1", user: "u", password: "p", schema: "" },
    options: {},
  }) as { config: Record<string, unknown> };
  assert.equal(parsed.config.encryption, true);
});
