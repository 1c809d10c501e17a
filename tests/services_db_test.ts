// The database servers of the test harness answer the client libraries the connectors use, under Deno.
import assert from "node:assert/strict";
import { mariadbDatabase, mariadbService, postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();
const my = mariadbService();

Deno.test({
  name: "postgres: npm postgres connects, round-trips a table in a fresh database",
  ignore: pg.ignore,
}, async () => {
  const { default: postgres } = await import("postgres");
  await using db = await postgresDatabase();
  const sql = postgres(db.url, { onnotice: () => {}, max: 2 });
  try {
    const [{ version }] = await sql`select version()`;
    assert.match(version, /^PostgreSQL \d+/);
    await sql`create table t (id int8 primary key, name text, at timestamptz, blob bytea)`;
    const at = new Date("2024-02-29T13:14:15.123Z");
    await sql`insert into t ${
      sql([{ id: 9007199254740993n.toString(), name: "ünïcode", at, blob: new Uint8Array([0, 255]) }])
    }`;
    const rows = await sql`select * from t`;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id, "9007199254740993"); // int8 arrives as an exact string
    assert.equal(rows[0].name, "ünïcode");
    assert.equal(rows[0].at.toISOString(), at.toISOString());
    assert.deepEqual([...rows[0].blob], [0, 255]);
  } finally {
    await sql.end();
  }
});

Deno.test(
  { name: "postgres: a wrong password is refused with SQLSTATE 28P01", ignore: pg.ignore },
  async () => {
    const { default: postgres } = await import("postgres");
    const info = pg.get();
    const sql = postgres({
      host: info.host,
      port: info.port,
      user: info.user,
      password: "wrong",
      database: info.database,
      max: 1,
    });
    try {
      await assert.rejects(sql`select 1`, { code: "28P01" });
    } finally {
      await sql.end();
    }
  },
);

Deno.test({
  name: "mariadb: npm mysql2 connects, round-trips a table in a fresh database",
  ignore: my.ignore,
}, async () => {
  const mysql = await import("mysql2/promise");
  await using db = await mariadbDatabase();
  const conn = await mysql.createConnection({
    uri: db.url,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  try {
    const [[{ v }]] = await conn.query("select version() as v") as unknown as [[{ v: string }]];
    assert.match(v, /MariaDB/);
    await conn.query(
      "create table t (id bigint primary key, name varchar(20), at datetime(3)) charset utf8mb4",
    );
    await conn.query("insert into t values (?, ?, ?)", [
      "9007199254740993",
      "ünïcode",
      "2024-02-29 13:14:15.123",
    ]);
    const [rows] = await conn.query("select * from t") as unknown as [Record<string, unknown>[]];
    assert.deepEqual(rows, [{ id: "9007199254740993", name: "ünïcode", at: "2024-02-29 13:14:15.123" }]);
  } finally {
    await conn.end();
  }
});

Deno.test(
  { name: "mariadb: a wrong password is refused with ER_ACCESS_DENIED_ERROR", ignore: my.ignore },
  async () => {
    const mysql = await import("mysql2/promise");
    const info = my.get();
    await assert.rejects(
      mysql.createConnection({ host: info.host, port: info.port, user: info.user, password: "wrong" }),
      { code: "ER_ACCESS_DENIED_ERROR" },
    );
  },
);
