import assert from "node:assert/strict";
import { dialectFamily, parseDbUrl, scrubCredentials, urlSecrets } from "./_db_url.ts";
import { sqlalchemyBackend, sqliteFileOf } from "./db_sqlalchemy.ts";

Deno.test("SQLAlchemy URLs: dialect+driver, percent-decoded credentials, IPv6, port, database, query", () => {
  const u = parseDbUrl(
    "postgresql+psycopg2://scott:p%40ss%3Aw%2Frd@db.example:6543/sales?sslmode=require&x=1&x=2",
  );
  assert.deepEqual(u, {
    dialect: "postgresql",
    driver: "psycopg2",
    username: "scott",
    password: "p@ss:w/rd",
    host: "db.example",
    port: 6543,
    database: "sales",
    query: { sslmode: "require", x: ["1", "2"] },
  });
  const v6 = parseDbUrl("mysql+pymysql://u@[::1]:3307/app");
  assert.deepEqual([v6.host, v6.port, v6.password, v6.username], ["::1", 3307, null, "u"]);
  // An empty password is a password (""), absent is null.
  assert.equal(parseDbUrl("mysql://u:@h/db").password, "");
  assert.equal(parseDbUrl("MariaDB://h").dialect, "mariadb");
  assert.equal(dialectFamily(parseDbUrl("mariadb+mariadbconnector://h/x")), "mysql");
});

Deno.test("sqlite URLs: three slashes relative, four absolute, none in memory", () => {
  assert.equal(sqliteFileOf(parseDbUrl("sqlite:///data/app.db")), "data/app.db");
  assert.equal(sqliteFileOf(parseDbUrl("sqlite:////var/lib/app.db")), "/var/lib/app.db");
  assert.equal(sqliteFileOf(parseDbUrl("sqlite://")), ":memory:");
  assert.equal(sqliteFileOf(parseDbUrl("sqlite:///:memory:")), ":memory:");
});

Deno.test("db:sqlalchemy dispatch names the supported dialects and the right driver for others", () => {
  assert.equal(sqlalchemyBackend(parseDbUrl("postgres://h/d")), "postgres");
  assert.equal(sqlalchemyBackend(parseDbUrl("mysql+mysqldb://h/d")), "mysql");
  assert.throws(() => sqlalchemyBackend(parseDbUrl("oracle+oracledb://u:p@h/x")), /use db:oracledb/);
  assert.throws(
    () => sqlalchemyBackend(parseDbUrl("mssql+pyodbc://h/x")),
    /does not support the dialect "mssql"; supported: postgresql, mysql, mariadb, sqlite/,
  );
});

Deno.test("an unparsable URL fails without quoting it (it may hold a password)", () => {
  for (const bad of ["not a url", "postgresql://u:secretpw@h:port/db"]) {
    assert.throws(
      () => parseDbUrl(bad),
      (err: Error) => !err.message.includes("secretpw") && /database URL/.test(err.message),
    );
  }
});

Deno.test("credentials are scrubbed from any text, raw and percent-decoded passwords listed", () => {
  assert.equal(
    scrubCredentials("connect to postgresql://app:s3cr%40t@h:5432/db failed; mysql://x:y@z/ too"),
    "connect to postgresql://app:***@h:5432/db failed; mysql://x:***@z/ too",
  );
  assert.deepEqual(urlSecrets("postgresql://app:s3cr%40t@h/db").sort(), ["s3cr%40t", "s3cr@t"].sort());
  assert.equal(scrubCredentials("password s3cr@t rejected", ["s3cr@t"]), "password *** rejected");
  assert.deepEqual(urlSecrets("sqlite:///x.db"), []);
});
