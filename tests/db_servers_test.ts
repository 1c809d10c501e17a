// The db connectors and steps against the real PostgreSQL and MariaDB of the test harness (docs/testing.md):
// type round-trips, wrong SQL, unreachable hosts, wrong passwords, a server session killed mid-stream, the run's
// abort and statement timeouts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import { fakeContext, runStep } from "../engine/steps/_test_context.ts";
import { dbExtractStep } from "../engine/steps/db/db_extract.ts";
import { dbExtractStreamStep } from "../engine/steps/db/db_extract_stream.ts";
import { dbFetchSmallStep } from "../engine/steps/db/db_fetch_small.ts";
import { mariadbDatabase, mariadbService, postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();
const my = mariadbService();

interface Kit extends AsyncDisposable {
  ctx: ReturnType<typeof fakeContext>;
  acc: ConnectorAccessor;
  dir: string;
  /** Run SQL on a separate admin connection to the test database. */
  admin(sql: string): Promise<unknown[]>;
  files(): string[];
}

async function kit(
  url: string,
  adminExec: (sql: string) => Promise<unknown[]>,
  opts: {
    driver?: string;
    options?: Record<string, unknown>;
    signal?: AbortSignal;
    log?: ReturnType<typeof fakeContext>["log"];
  } = {},
): Promise<Kit> {
  const dir = await Deno.makeTempDir({ prefix: "af-dbsrv-" });
  const acc = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      db: {
        kind: "db",
        driver: opts.driver ?? "sqlalchemy",
        config: { url },
        options: opts.options ?? {},
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
    signal: opts.signal,
  });
  const ctx = fakeContext({ workRoot: dir, connectors: acc, signal: opts.signal, log: opts.log });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  return {
    ctx,
    acc,
    dir,
    admin: adminExec,
    files: () => [...Deno.readDirSync(ctx.artifactsDir)].map((e) => e.name).sort(),
    async [Symbol.asyncDispose]() {
      await acc.closeAll();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function pgAdmin(
  url: string,
): Promise<{ exec: (sql: string) => Promise<unknown[]> } & AsyncDisposable> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  return {
    exec: async (q) => [...await sql.unsafe(q)],
    [Symbol.asyncDispose]: () => sql.end(),
  };
}

async function myAdmin(
  url: string,
): Promise<{ exec: (sql: string) => Promise<unknown[]> } & AsyncDisposable> {
  const mysql = await import("mysql2/promise");
  const conn = await mysql.createConnection({ uri: url, multipleStatements: true, dateStrings: true });
  return {
    exec: async (q) => (await conn.query(q))[0] as unknown[],
    [Symbol.asyncDispose]: () => conn.end(),
  };
}

/** Poll `check` until it is true; fails after the deadline. */
async function until(what: string, check: () => boolean | Promise<boolean>, seconds = 60): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function urlWithPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

// --- PostgreSQL ---------------------------------------------------------------------------------------------

Deno.test({
  name: "postgres: every type round-trips exactly into CSV, JSON and parquet dtypes",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  await admin.exec(
    `create table t (id int4, big int8, amount numeric(30,10), ratio float8, name text, flag bool,
    day date, at timestamp, atz timestamptz, raw bytea, doc jsonb);
    insert into t values
      (1, 9223372036854775807, 12345678901234567890.0123456789, 0.1, 'Grüße, "world"	tab', true, '2024-02-29',
       '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+05:30', '\\x00ff10', '{"k": [1, "v"]}'),
      (2, null, null, null, null, null, null, null, null, null, null),
      (3, -5, -0.5, 1e21, '日本語', false, '1999-12-31', '2024-06-30 23:59:59', '2024-06-30 23:59:59+00', '\\x', '[]');`,
  );
  // The session time zone decides how timestamptz prints: fixed here so the expected text is exact.
  await using k = await kit(db.url, admin.exec, {
    options: { connect_args: { options: "-c TimeZone=UTC" } },
  });
  const r = await runStep(dbExtractStreamStep, {
    resource: "db",
    sql: "select * from t order by id",
    output: "t.csv",
    format: "csv",
    emit_dtypes: true,
  }, k.ctx);
  assert.equal(
    Deno.readTextFileSync(join(k.ctx.artifactsDir, "t.csv")),
    "id,big,amount,ratio,name,flag,day,at,atz,raw,doc\n" +
      '1,9223372036854775807,12345678901234567890.0123456789,0.1,"Grüße, ""world""\ttab",true,2024-02-29,' +
      '2024-01-02 03:04:05.123456,2024-01-01 21:34:05.500+00:00,AP8Q,"{""k"":[1,""v""]}"\n' +
      "2,,,,,,,,,,\n" +
      "3,-5,-0.5000000000,1e+21,日本語,false,1999-12-31,2024-06-30 23:59:59,2024-06-30 23:59:59+00:00,,[]\n",
  );
  assert.deepEqual(r.outputs?.dtypes, {
    id: "int",
    big: "int",
    amount: "float",
    ratio: "float",
    name: "string",
    flag: "bool",
    day: "date",
    at: "datetime",
    atz: "datetime",
    raw: "string",
    doc: "string",
  });
  const small = await runStep(dbFetchSmallStep, {
    resource: "db",
    sql: "select big, amount, day, at, atz, raw from t where id = :id",
    params: { id: 1 },
  }, k.ctx);
  assert.deepEqual(small.outputs?.rows, [[
    "9223372036854775807",
    "12345678901234567890.0123456789",
    "2024-02-29",
    "2024-01-02T03:04:05.123456",
    "2024-01-01T21:34:05.500+00:00",
    "AP8Q",
  ]]);
  const pq = await runStep(dbExtractStreamStep, {
    resource: "db",
    sql: "select id, big, ratio, flag, day, atz from t order by id",
    output: "t.parquet",
    format: "parquet",
  }, k.ctx);
  assert.equal(pq.outputs?.row_count, 3);
  const { parquetReadObjects } = await import("hyparquet");
  const rows = await parquetReadObjects({
    file: (await Deno.readFile(join(k.ctx.artifactsDir, "t.parquet"))).buffer,
  });
  assert.deepEqual(rows[0], {
    id: 1n,
    big: 9223372036854775807n,
    ratio: 0.1,
    flag: true,
    day: new Date("2024-02-29T00:00:00Z"),
    atz: new Date("2024-01-01T21:34:05.500Z"),
  });
  assert.deepEqual(k.files(), ["t.csv", "t.parquet"]);
});

Deno.test({
  name: "postgres: wrong SQL, unreachable host, silent host, wrong password: clear errors, no secrets",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  {
    await using k = await kit(db.url, admin.exec, { driver: "postgres" });
    await assert.rejects(
      runStep(dbExtractStep, { resource: "db", sql: "select * from nope", output: "x.tsv" }, k.ctx),
      /^AetherflowError: Resource db \(db:postgres\): relation "nope" does not exist \[42P01\]$/,
    );
    assert.deepEqual(k.files(), []);
  }
  // A closed port: refused at once.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  {
    await using k = await kit(`postgresql://u:pw-closed-1@127.0.0.1:${closedPort}/x`, admin.exec);
    await assert.rejects(
      runStep(dbFetchSmallStep, { resource: "db", sql: "select 1" }, k.ctx),
      (err: Error) =>
        err.message.includes(`cannot connect to 127.0.0.1:${closedPort}`) &&
        !err.message.includes("pw-closed-1"),
    );
  }
  // A host that accepts and never answers: the connect timeout fires and names host:port.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of silent) held.push(c);
  })().catch(() => {});
  try {
    await using k = await kit(
      `postgresql://u:pw-silent-2@127.0.0.1:${(silent.addr as Deno.NetAddr).port}/x`,
      admin.exec,
      {
        options: { connect_timeout: 1 },
      },
    );
    const t0 = Date.now();
    await assert.rejects(
      runStep(dbFetchSmallStep, { resource: "db", sql: "select 1" }, k.ctx),
      (err: Error) =>
        err.message.includes(`cannot connect to 127.0.0.1:${(silent.addr as Deno.NetAddr).port}`) &&
        err.message.includes("CONNECT_TIMEOUT") && !err.message.includes("pw-silent-2"),
    );
    assert.ok(Date.now() - t0 < 20_000, "the 1 s connect timeout applies (not the library's 30 s default)");
  } finally {
    silent.close();
    for (const c of held) c.close();
  }
  {
    await using k = await kit(urlWithPassword(db.url, "Wr0ng p@ss:word"), admin.exec);
    await assert.rejects(
      runStep(dbFetchSmallStep, { resource: "db", sql: "select 1" }, k.ctx),
      (err: Error) =>
        /password authentication failed for user "postgres"/.test(err.message) &&
        !err.message.includes("Wr0ng") && !err.message.includes("p%40ss"),
    );
  }
});

async function pgSessions(admin: { exec: (s: string) => Promise<unknown[]> }, db: string): Promise<number> {
  const rows = await admin.exec(
    `select count(*)::int n from pg_stat_activity where datname = '${db}' and application_name = 'aetherflow'`,
  ) as { n: number }[];
  return rows[0]!.n;
}

Deno.test({
  name: "postgres: a server session killed mid-stream fails the step, leaves no file, frees the connection",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  await using k = await kit(db.url, admin.exec);
  const running = runStep(dbExtractStreamStep, {
    resource: "db",
    sql:
      "select g, repeat('x', 100), case when g > 2000 then pg_sleep(0.01) end from generate_series(1, 100000) g",
    output: "big.csv",
    format: "csv",
    fetch_size: 100,
  }, k.ctx);
  running.catch(() => {});
  const tmp = join(k.ctx.artifactsDir, "big.csv.tmp");
  await until("rows in the tmp file", () => {
    try {
      return Deno.statSync(tmp).size > 100_000;
    } catch {
      return false;
    }
  });
  await admin.exec(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${db.name}'
    and application_name = 'aetherflow'`);
  await assert.rejects(
    running,
    /Resource db \(db:sqlalchemy\): .*(terminating connection|CONNECTION_CLOSED|ECONNRESET)/,
  );
  assert.deepEqual(k.files(), [], "neither big.csv nor big.csv.tmp remains");
  await k.acc.closeAll();
  await until("no session left", async () => (await pgSessions(admin, db.name)) === 0);
});

Deno.test({
  name: "postgres: the run's abort cancels a running statement; statement_timeout applies",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  const abort = new AbortController();
  await using k = await kit(db.url, admin.exec, { signal: abort.signal });
  const running = runStep(dbFetchSmallStep, { resource: "db", sql: "select pg_sleep(60)" }, k.ctx);
  running.catch(() => {});
  await until("the statement running", async () => {
    const rows = await admin.exec(`select count(*)::int n from pg_stat_activity where datname = '${db.name}'
      and query like 'select pg_sleep(60)%' and state = 'active'`) as { n: number }[];
    return rows[0]!.n === 1;
  });
  abort.abort("SIGTERM");
  await assert.rejects(running, /statement cancelled: the run was aborted/);
  await until("the server stopped the statement", async () => {
    const rows = await admin.exec(`select count(*)::int n from pg_stat_activity where datname = '${db.name}'
      and query like 'select pg_sleep(60)%' and state = 'active'`) as { n: number }[];
    return rows[0]!.n === 0;
  });
  await using t = await kit(db.url, admin.exec, { options: { statement_timeout: 0.5 } });
  await assert.rejects(
    runStep(dbFetchSmallStep, { resource: "db", sql: "select pg_sleep(30)" }, t.ctx),
    /statement timeout|timed out after 0\.5s/,
  );
});

/** A step log keeping every line (debug tells which path db_extract_stream took). */
function keptLog(): { log: ReturnType<typeof fakeContext>["log"]; text(): string } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return {
    log: { debug: keep, info: keep, warn: keep, error: keep },
    text() {
      const t = lines.join("\n");
      lines.length = 0;
      return t;
    },
  };
}

const COPIED = /through the server's COPY/;
const DECLINED = /COPY path declined/;

Deno.test({
  name: "postgres: the COPY path writes byte for byte what the cursor path writes (csv, tsv, dialects, BOM)",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  await admin.exec(
    `create table v (id int4, big int8, small int2, amount numeric(30,10), free numeric, ratio float8,
      r4 float4, name text, vc varchar(20), flag bool, day date, at timestamp, atz timestamptz, raw bytea,
      t time, tz timetz, span interval, u uuid, x xml, ch "char");
    insert into v values
      (1, 9223372036854775807, -32768, 12345678901234567890.0123456789, 'NaN', 0.1, 0.1,
       'Grüße, "world"' || chr(9) || 'tab' || chr(10) || 'line;''q''' || chr(13), 'a,b', true, '2024-02-29',
       '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+05:30', '\\x00ff10', '03:04:05.25', '03:04:05+02',
       '1 day 02:03:04.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '<a>1</a>', 'z'),
      (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
       null, null),
      (3, -5, 0, -0.5, 7, '-0', 999999, '', '', false, '1999-12-31', '2024-06-30 23:59:59',
       '2024-06-30 23:59:59.001+00', '\\x', '00:00', '00:00+00', '0', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
       '', ''),
      (4, 9007199254740993, 1, 0.0000000001, 1e30, 123456789012345.6, 0.0001, '\\.', 'x"y', true,
       '0044-03-15', '9999-12-31 23:59:59.999999', '2024-03-10 12:00:00.000010-03:30',
       decode(repeat('ab', 100), 'hex'), '23:59:59.999999', '23:59:59-11:30', '-3 years 2 mons', null, null, 'q'),
      (5, 0, 0, 0, 0, 1e-4, 1e-4, ' ', ' lead', true, 'infinity', '2024-01-01', '2024-01-01 00:00:00+00',
       '\\x41', '12:00', '12:00+00', '1 mon', null, null, null);`,
  );
  const trace = keptLog();
  // A zone with a half-hour offset and daylight saving, so that offsets print with minutes.
  await using k = await kit(db.url, admin.exec, {
    options: { connect_args: { options: "-c TimeZone=America/St_Johns" } },
    log: trace.log,
  });
  const variants: Record<string, unknown>[] = [
    { format: "csv", emit_dtypes: true },
    { format: "tsv" },
    { format: "csv", delimiter: ";", quotechar: "'", encoding: "utf-8-sig", include_header: false },
    { format: "csv", file: { delimiter: "|" } },
    // A delimiter found in numbers and timestamps: every cell is rendered by the server's cell expressions.
    { format: "csv", delimiter: ":" },
    { format: "csv", quotechar: "-" },
  ];
  for (const [i, extra] of variants.entries()) {
    const copied = await runStep(dbExtractStreamStep, {
      resource: "db",
      sql: "select * from v order by id;",
      output: `copy${i}.out`,
      ...extra,
    }, k.ctx);
    const how = trace.text();
    assert.match(how, COPIED, `variant ${i} went through COPY: ${how}`);
    // A parameter keeps the query on the cursor path (COPY takes no bind parameters).
    const cursor = await runStep(dbExtractStreamStep, {
      resource: "db",
      sql: "select * from v where :one = 1 order by id",
      params: { one: 1 },
      output: `cursor${i}.out`,
      ...extra,
    }, k.ctx);
    assert.doesNotMatch(trace.text(), COPIED);
    assert.equal(
      Deno.readTextFileSync(join(k.ctx.artifactsDir, `copy${i}.out`)),
      Deno.readTextFileSync(join(k.ctx.artifactsDir, `cursor${i}.out`)),
      `variant ${i}: ${JSON.stringify(extra)}`,
    );
    const { artifact_path: _a, ...copiedOutputs } = copied.outputs!;
    const { artifact_path: _b, ...cursorOutputs } = cursor.outputs!;
    assert.deepEqual(copiedOutputs, cursorOutputs);
    assert.equal(copied.outputs?.row_count, 5);
  }
  // Several MB: the rows arrive in many pieces, quoted line breaks and quotes straddle their edges.
  const many =
    "select g, 'a\"b' || chr(10) || repeat('x', g % 97) t, g * 0.5 h from generate_series(1, 40000) g";
  const big = await runStep(dbExtractStreamStep, {
    resource: "db",
    sql: many,
    output: "many.csv",
    format: "csv",
  }, k.ctx);
  assert.match(trace.text(), COPIED);
  const bigCursor = await runStep(dbExtractStreamStep, {
    resource: "db",
    sql: `select * from (${many}) s where :one = 1`,
    params: { one: 1 },
    output: "many_cursor.csv",
    format: "csv",
  }, k.ctx);
  assert.equal(big.outputs?.row_count, 40000);
  assert.equal(big.outputs?.sha256, bigCursor.outputs?.sha256);
  // A value the server cannot print in the documented form (a float needing an exponent, a timestamp outside
  // years 1000-9999, a zone offset with seconds) sends the whole query to the cursor path: same bytes again.
  for (
    const [i, sql] of [
      "select id, 1e20::float8 * id from v order by id",
      "select id, 1e-7::float8 * id from v order by id",
      "select id, 1e6::float4 from v order by id",
      "select id, timestamp '0500-01-01 00:00:00' from v order by id",
      "select id, timestamptz '1900-01-01 00:00:00+00' from v order by id",
      "select id, at from v union all select 6, timestamp '-infinity' order by 1",
    ].entries()
  ) {
    await runStep(dbExtractStreamStep, { resource: "db", sql, output: `fb${i}.csv`, format: "csv" }, k.ctx);
    assert.match(trace.text(), DECLINED, sql);
    await runStep(dbExtractStreamStep, {
      resource: "db",
      sql: `select * from (${sql}) s where :one = 1`,
      params: { one: 1 },
      output: `fbc${i}.csv`,
      format: "csv",
    }, k.ctx);
    trace.text();
    const body = (f: string) => Deno.readTextFileSync(join(k.ctx.artifactsDir, f)).replace(/^[^\n]*\n/, "");
    assert.equal(body(`fb${i}.csv`), body(`fbc${i}.csv`), sql);
  }
  // Timestamps printed in another DateStyle than ISO have no documented form in the COPY text: cursor path.
  {
    await using sqlStyle = await kit(db.url, admin.exec, {
      options: { connect_args: { options: "-c DateStyle=SQL,DMY -c TimeZone=America/St_Johns" } },
      log: trace.log,
    });
    const sql = "select id, at, atz, day from v order by id";
    await runStep(
      dbExtractStreamStep,
      { resource: "db", sql, output: "style.csv", format: "csv" },
      sqlStyle.ctx,
    );
    assert.match(trace.text(), DECLINED);
    await runStep(dbExtractStreamStep, {
      resource: "db",
      sql: `select * from (${sql}) s where :one = 1`,
      params: { one: 1 },
      output: "style_cursor.csv",
      format: "csv",
    }, sqlStyle.ctx);
    trace.text();
    assert.equal(
      Deno.readTextFileSync(join(sqlStyle.ctx.artifactsDir, "style.csv")),
      Deno.readTextFileSync(join(sqlStyle.ctx.artifactsDir, "style_cursor.csv")),
    );
  }
  // A data-modifying CTE cannot stand as a sub-select: the cursor path runs it, once.
  const cte = await runStep(dbExtractStreamStep, {
    resource: "db",
    sql: "with d as (delete from v where id = 5 returning id, vc) select * from d",
    output: "cte.csv",
    format: "csv",
  }, k.ctx);
  assert.equal(cte.outputs?.row_count, 1);
  assert.equal(Deno.readTextFileSync(join(k.ctx.artifactsDir, "cte.csv")), "id,vc\n5, lead\n");
  assert.match(trace.text(), DECLINED);
  await assert.rejects(
    runStep(dbExtractStreamStep, {
      resource: "db",
      sql: "select id, nosuch from v",
      output: "bad.csv",
      format: "csv",
    }, k.ctx),
    /column "nosuch" does not exist/,
  );
  assert.ok(!k.files().some((f) => f.startsWith("bad.csv")));
});

Deno.test({
  name:
    "postgres: COPY path — abort, statement timeout and a killed session leave no file and free the session",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using admin = await pgAdmin(db.url);
  const slow = "select g, repeat('x', 100) pad, case when g > 2000 then pg_sleep(0.01)::text end s " +
    "from generate_series(1, 100000) g";
  const tmpGrows = (k: Kit, name: string) => () => {
    try {
      return Deno.statSync(join(k.ctx.artifactsDir, name)).size > 100_000;
    } catch {
      return false;
    }
  };
  const activeCopies = async () =>
    (await admin.exec(`select count(*)::int n from pg_stat_activity where datname = '${db.name}'
      and query like 'COPY%' and state = 'active'`) as { n: number }[])[0]!.n;
  {
    const abort = new AbortController();
    const trace = keptLog();
    await using k = await kit(db.url, admin.exec, { signal: abort.signal, log: trace.log });
    const running = runStep(dbExtractStreamStep, {
      resource: "db",
      sql: slow,
      output: "a.csv",
      format: "csv",
    }, k.ctx);
    running.catch(() => {});
    await until("rows in a.csv.tmp", tmpGrows(k, "a.csv.tmp"));
    abort.abort("SIGTERM");
    await assert.rejects(running, /aborted/);
    assert.deepEqual(k.files(), []);
    // The session is not left stuck in the COPY (the server stopped it, the driver read its end).
    await until("the server stopped the COPY", async () => (await activeCopies()) === 0);
    assert.doesNotMatch(trace.text(), DECLINED, "nothing retried on the cursor path");
  }
  {
    await using k = await kit(db.url, admin.exec, { options: { statement_timeout: 0.5 } });
    await assert.rejects(
      runStep(dbExtractStreamStep, {
        resource: "db",
        sql: "select 1 a, pg_sleep(30)::text b",
        output: "t.csv",
        format: "csv",
      }, k.ctx),
      /statement timeout|timed out after 0\.5s/,
    );
    assert.deepEqual(k.files(), []);
  }
  {
    const trace = keptLog();
    await using k = await kit(db.url, admin.exec, { log: trace.log });
    const running = runStep(dbExtractStreamStep, {
      resource: "db",
      sql: slow,
      output: "k.csv",
      format: "csv",
    }, k.ctx);
    running.catch(() => {});
    await until("rows in k.csv.tmp", tmpGrows(k, "k.csv.tmp"));
    await admin.exec(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${db.name}'
      and application_name = 'aetherflow'`);
    await assert.rejects(
      running,
      /Resource db \(db:sqlalchemy\): .*(terminating connection|CONNECTION_CLOSED|ECONNRESET)/,
    );
    assert.deepEqual(k.files(), []);
    assert.doesNotMatch(trace.text(), DECLINED, "a lost session is not retried on the cursor path");
    await k.acc.closeAll();
    await until("no session left", async () => (await pgSessions(admin, db.name)) === 0);
  }
});

// --- MariaDB ------------------------------------------------------------------------------------------------

Deno.test(
  { name: "mariadb: every type round-trips exactly into CSV, JSON and dtypes", ignore: my.ignore },
  async () => {
    await using db = await mariadbDatabase();
    await using admin = await myAdmin(db.url);
    await admin.exec(
      `create table t (id int, big bigint, amount decimal(30,10), ratio double, name varchar(50)
      character set utf8mb4, flag boolean, day date, at datetime(6), ts timestamp(3) null, raw blob, doc json);
    set time_zone = '+00:00';
    insert into t values
      (1, 9223372036854775807, 12345678901234567890.0123456789, 0.1, 'Grüße, "world"\ttab', true, '2024-02-29',
       '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.500', x'00ff10', '{"k": [1, "v"]}'),
      (2, null, null, null, null, null, null, null, null, null, null),
      (3, -5, -0.5, 1e21, '日本語', false, '1999-12-31', '2024-06-30 23:59:59', '2024-06-30 23:59:59', x'', '[]');`,
    );
    await using k = await kit(db.url.replace("mysql://", "mysql+pymysql://"), admin.exec, {
      options: { connect_args: { timezone: "Z" } },
    });
    const r = await runStep(dbExtractStreamStep, {
      resource: "db",
      sql: "select * from t order by id",
      output: "t.tsv",
      emit_dtypes: true,
    }, k.ctx);
    assert.equal(
      Deno.readTextFileSync(join(k.ctx.artifactsDir, "t.tsv")),
      "id\tbig\tamount\tratio\tname\tflag\tday\tat\tts\traw\tdoc\n" +
        '1\t9223372036854775807\t12345678901234567890.0123456789\t0.1\t"Grüße, ""world""\ttab"\t1\t2024-02-29\t' +
        '2024-01-02 03:04:05.123456\t2024-01-02 03:04:05.500\tAP8Q\t"{""k"":[1,""v""]}"\n' +
        "2\t\t\t\t\t\t\t\t\t\t\n" +
        "3\t-5\t-0.5000000000\t1e+21\t日本語\t0\t1999-12-31\t2024-06-30 23:59:59\t2024-06-30 23:59:59\t\t[]\n",
    );
    assert.deepEqual(r.outputs?.dtypes, {
      id: "int",
      big: "int",
      amount: "float",
      ratio: "float",
      name: "string",
      flag: "int",
      day: "date",
      at: "datetime",
      ts: "datetime",
      raw: "string",
      doc: "string",
    });
    const small = await runStep(dbFetchSmallStep, {
      resource: "db",
      sql: "select big, amount, at, raw from t where id = :id",
      params: { id: 1 },
    }, k.ctx);
    assert.deepEqual(small.outputs?.rows, [[
      "9223372036854775807",
      "12345678901234567890.0123456789",
      "2024-01-02T03:04:05.123456",
      "AP8Q",
    ]]);
  },
);

Deno.test({
  name: "mariadb: wrong SQL, unreachable host, wrong password: clear errors, no secrets",
  ignore: my.ignore,
}, async () => {
  await using db = await mariadbDatabase();
  await using admin = await myAdmin(db.url);
  {
    await using k = await kit(db.url, admin.exec, { driver: "mysql" });
    await assert.rejects(
      runStep(dbExtractStreamStep, { resource: "db", sql: "select * from nope", output: "x.csv" }, k.ctx),
      /Resource db \(db:mysql\): Table '.*\.nope' doesn't exist \[ER_NO_SUCH_TABLE\]/,
    );
    assert.deepEqual(k.files(), []);
  }
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  {
    await using k = await kit(`mysql://u:pw-closed-3@127.0.0.1:${closedPort}/x`, admin.exec);
    await assert.rejects(
      runStep(dbFetchSmallStep, { resource: "db", sql: "select 1" }, k.ctx),
      (err: Error) =>
        err.message.includes(`cannot connect to 127.0.0.1:${closedPort}`) &&
        !err.message.includes("pw-closed-3"),
    );
  }
  {
    await using k = await kit(urlWithPassword(db.url, "Wr0ng p@ss:word"), admin.exec);
    await assert.rejects(
      runStep(dbFetchSmallStep, { resource: "db", sql: "select 1" }, k.ctx),
      (err: Error) => /Access denied for user 'app'/.test(err.message) && !err.message.includes("Wr0ng"),
    );
  }
});

Deno.test({
  name: "mariadb: a server session killed mid-stream fails the step, leaves no file, frees the connection",
  ignore: my.ignore,
}, async () => {
  await using db = await mariadbDatabase();
  await using admin = await myAdmin(db.url);
  await using k = await kit(db.url, admin.exec);
  const running = runStep(dbExtractStreamStep, {
    resource: "db",
    sql: "select seq, repeat('x', 100), if(seq > 2000, sleep(0.01), 0) from seq_1_to_100000",
    output: "big.csv",
    format: "csv",
    fetch_size: 100,
  }, k.ctx);
  running.catch(() => {});
  const tmp = join(k.ctx.artifactsDir, "big.csv.tmp");
  await until("rows in the tmp file", () => {
    try {
      return Deno.statSync(tmp).size > 100_000;
    } catch {
      return false;
    }
  });
  const victims = await admin.exec(
    `select id from information_schema.processlist where db = '${db.name}' and info like '%seq_1_to_100000%'
      and id <> connection_id()`,
  ) as { id: number }[];
  assert.equal(victims.length, 1);
  await admin.exec(`kill ${victims[0]!.id}`);
  await assert.rejects(running, /Resource db \(db:sqlalchemy\): /);
  assert.deepEqual(k.files(), []);
  await k.acc.closeAll();
  await until("no session left", async () => {
    const rows = await admin.exec(
      `select count(*) n from information_schema.processlist where db = '${db.name}' and id <> connection_id()`,
    ) as { n: number }[];
    return Number(rows[0]!.n) === 0;
  });
});

Deno.test({
  name: "mariadb: the run's abort and statement_timeout stop a running statement",
  ignore: my.ignore,
}, async () => {
  await using db = await mariadbDatabase();
  await using admin = await myAdmin(db.url);
  const abort = new AbortController();
  await using k = await kit(db.url, admin.exec, { signal: abort.signal });
  const running = runStep(dbFetchSmallStep, { resource: "db", sql: "select sleep(60)" }, k.ctx);
  running.catch(() => {});
  const active = async () => {
    const rows = await admin.exec(
      `select count(*) n from information_schema.processlist where db = '${db.name}' and info = 'select sleep(60)'`,
    ) as { n: number }[];
    return Number(rows[0]!.n);
  };
  await until("the statement running", async () => (await active()) === 1);
  abort.abort("SIGTERM");
  await assert.rejects(running, /statement cancelled: the run was aborted/);
  await until("the server dropped the statement", async () => (await active()) === 0);
  await using t = await kit(db.url, admin.exec, { options: { statement_timeout: 0.5 } });
  await assert.rejects(
    runStep(dbFetchSmallStep, { resource: "db", sql: "select sleep(30)" }, t.ctx),
    /timed out after 0\.5s/,
  );
});
