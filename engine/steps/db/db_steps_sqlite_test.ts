// The db steps end to end against real SQLite files (node:sqlite) through the real connector accessor.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ConnectorAccessor, ConnectorRegistry } from "../../connectors/mod.ts";
import { fakeContext, runStep } from "../_test_context.ts";
import { dbExtractStep } from "./db_extract.ts";
import { dbExtractStreamStep } from "./db_extract_stream.ts";
import { dbFetchSmallStep } from "./db_fetch_small.ts";

async function setUp(): Promise<
  { dir: string; ctx: ReturnType<typeof fakeContext>; acc: ConnectorAccessor } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "af-dbsteps-" });
  const file = join(dir, "src.db");
  const db = new DatabaseSync(file);
  db.exec(`create table t (id integer, name text, amount real, big integer, blob blob, day text);
    insert into t values (1, 'plain', 1.5, 9007199254740993, x'00ff', '2024-02-29'),
      (2, 'tab	and "quote"', null, 2, null, null), (3, 'line
break', 2.0, -5, x'', '2024-03-01');`);
  db.close();
  const acc = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      src: { kind: "db", driver: "sqlite3", config: { path: file }, options: {}, decode: {} },
      alch: {
        kind: "db",
        driver: "sqlalchemy",
        config: { url: `sqlite:///${file}` },
        options: {},
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const ctx = fakeContext({ workRoot: dir, connectors: acc });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  return {
    dir,
    ctx,
    acc,
    async [Symbol.asyncDispose]() {
      await acc.closeAll();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const read = (p: string) => Deno.readTextFileSync(p);

Deno.test("db_extract: TSV with header and quoting, JSONL with exact values; file via .tmp", async () => {
  await using s = await setUp();
  const tsv = await runStep(dbExtractStep, {
    resource: "src",
    sql: "select id, name, amount, big from t order by id",
    output: "x/out.tsv",
  }, s.ctx);
  const out = join(s.ctx.artifactsDir, "x/out.tsv");
  assert.deepEqual(tsv.outputs, { output: out, format: "tsv", rows: 3 });
  assert.equal(
    read(out),
    'id\tname\tamount\tbig\n1\tplain\t1.5\t9007199254740993\n2\t"tab\tand ""quote"""\t\t2\n3\t"line\nbreak"\t2\t-5\n',
  );
  const jl = await runStep(dbExtractStep, {
    resource: "alch",
    sql: "select id, big, blob from t where id = :id",
    params: '{"id": 1}',
    output: "o.jsonl",
    format: "JSONL",
  }, s.ctx);
  assert.equal(jl.outputs?.rows, 1);
  assert.equal(
    read(join(s.ctx.artifactsDir, "o.jsonl")),
    '{"id":1,"big":"9007199254740993","blob":"AP8="}\n',
  );
  assert.deepEqual([...Deno.readDirSync(s.ctx.artifactsDir)].map((e) => e.name).sort(), ["o.jsonl", "x"]);
});

Deno.test("db_fetch_small: rows, JSON strings and dtypes; more than max_rows fails", async () => {
  await using s = await setUp();
  const r = await runStep(dbFetchSmallStep, {
    resource: "src",
    sql: "select id, amount, big, day from t order by id",
  }, s.ctx);
  assert.deepEqual(r.outputs, {
    columns: ["id", "amount", "big", "day"],
    rows: [[1, 1.5, "9007199254740993", "2024-02-29"], [2, null, 2, null], [3, 2, -5, "2024-03-01"]],
    row_count: 3,
    columns_json: '["id","amount","big","day"]',
    rows_json: '[[1,1.5,"9007199254740993","2024-02-29"],[2,null,2,null],[3,2,-5,"2024-03-01"]]',
    dtypes: { id: "int", amount: "float", big: "int", day: "string" },
    dtypes_json: '{"id":"int","amount":"float","big":"int","day":"string"}',
  });
  await assert.rejects(
    runStep(dbFetchSmallStep, { resource: "src", sql: "select * from t", max_rows: 2, fetch_size: 1 }, s.ctx),
    /db_fetch_small exceeded max_rows=2\. Use db_extract_stream for large results\./,
  );
  const empty = await runStep(
    dbFetchSmallStep,
    { resource: "src", sql: "select id from t where id > 99" },
    s.ctx,
  );
  assert.equal(empty.outputs?.row_count, 0);
});

Deno.test("db_extract_stream csv: dialect options (top-level over file:), sha256 of the file, dtypes emitted", async () => {
  await using s = await setUp();
  const r = await runStep(dbExtractStreamStep, {
    resource: "src",
    sql: "select id, name, amount from t order by id",
    output: "s.csv",
    format: "csv",
    fetch_size: 1,
    quoting: "nonnumeric",
    file: { quoting: "all", delimiter: ";", linefeed: "\r\n" },
    emit_dtypes: "yes",
  }, s.ctx);
  const out = join(s.ctx.artifactsDir, "s.csv");
  const text = read(out);
  assert.equal(
    text,
    '"id";"name";"amount"\r\n1;"plain";1.5\r\n2;"tab\tand ""quote""";""\r\n3;"line\nbreak";2\r\n',
  );
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(out));
  assert.deepEqual(r.outputs, {
    artifact_path: out,
    format: "csv",
    columns: ["id", "name", "amount"],
    row_count: 3,
    sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    dtypes: { id: "int", name: "string", amount: "float" },
    dtypes_json: '{"id":"int","name":"string","amount":"float"}',
  });
  const none = await runStep(dbExtractStreamStep, {
    resource: "src",
    sql: "select id from t where 0",
    output: "e.tsv",
    include_header: false,
  }, s.ctx);
  assert.equal(none.outputs?.row_count, 0);
  assert.equal(read(join(s.ctx.artifactsDir, "e.tsv")), "");
});

Deno.test("db_extract_stream parquet: typed columns read back with hyparquet; supplied dtypes win", async () => {
  await using s = await setUp();
  const r = await runStep(dbExtractStreamStep, {
    resource: "src",
    sql: "select id, name, amount, big, day, blob from t order by id",
    output: "p.parquet",
    format: "parquet",
    fetch_size: 2,
    dtypes_json: '{"day": "date"}',
    emit_dtypes: true,
  }, s.ctx);
  assert.deepEqual(r.outputs?.dtypes, { day: "date" });
  const { parquetReadObjects } = await import("hyparquet");
  const { openAsBlob } = await import("node:fs");
  const blob = await openAsBlob(join(s.ctx.artifactsDir, "p.parquet"));
  const rows = await parquetReadObjects({ file: await blob.arrayBuffer() });
  assert.equal(rows.length, 3);
  assert.equal(
    rows[0].day instanceof Date ? rows[0].day.toISOString().slice(0, 10) : rows[0].day,
    "2024-02-29",
  );
  assert.equal(rows[0].name, "plain");
  assert.equal(rows[1].id, "2", "unsupplied columns are strings when dtypes are given");
  const inferred = await runStep(dbExtractStreamStep, {
    resource: "src",
    sql: "select id, amount, big from t order by id",
    output: "q.parquet",
    format: "parquet",
  }, s.ctx);
  assert.equal(inferred.outputs?.row_count, 3);
  const back = await parquetReadObjects({
    file: await (await openAsBlob(join(s.ctx.artifactsDir, "q.parquet"))).arrayBuffer(),
  });
  assert.deepEqual(back.map((o) => [o.id, o.amount, o.big]), [[1n, 1.5, 9007199254740993n], [2n, null, 2n], [
    3n,
    2,
    -5n,
  ]]);
});

Deno.test("a failure mid-stream leaves neither the output nor its .tmp; bad SQL and bad dtypes fail clearly", async () => {
  await using s = await setUp();
  // Row 3000 raises inside SQLite while earlier batches were already written.
  const sql = `with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000)
    select i, case when i < 3000 then i else abs(i - i - 9223372036854775807 - 1) end from n`;
  await assert.rejects(
    runStep(
      dbExtractStreamStep,
      { resource: "src", sql, output: "f.csv", format: "csv", fetch_size: 100 },
      s.ctx,
    ),
    /Resource src \(db:sqlite3\): the statement stopped after 2999 of 5000 rows/,
  );
  await assert.rejects(
    runStep(dbExtractStep, { resource: "src", sql, output: "g.tsv" }, s.ctx),
    /stopped after 2999/,
  );
  // Without streaming (fetchall reads with all()), SQLite's own error is reported.
  await assert.rejects((await s.acc.db("src")).fetchall({ sql, params: {} }), /integer overflow/);
  assert.deepEqual([...Deno.readDirSync(s.ctx.artifactsDir)], []);
  await assert.rejects(
    runStep(dbExtractStreamStep, { resource: "src", sql: "select * from nope", output: "h.csv" }, s.ctx),
    /Resource src \(db:sqlite3\): no such table: nope/,
  );
  await assert.rejects(
    runStep(dbExtractStreamStep, {
      resource: "src",
      sql: "select name from t",
      output: "p.parquet",
      format: "parquet",
      dtypes: { name: "int" },
    }, s.ctx),
    /parquet column name: row 1 holds a string value, not int/,
  );
  await assert.rejects(
    runStep(dbExtractStreamStep, { resource: "src", sql: "select :missing", output: "m.csv" }, s.ctx),
    /SQL parameter :missing has no value in params/,
  );
  assert.deepEqual([...Deno.readDirSync(s.ctx.artifactsDir)], []);
});

Deno.test("db:sqlite3 hands csv/tsv smaller batches (flat memory); parquet row groups still follow fetch_size", async () => {
  await using s = await setUp();
  const db = await s.acc.db("src");
  const sql =
    "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1200) select i, 'x' from n";
  const sizes = async (small: boolean) => {
    const stream = await db.fetchmany!({ sql, params: {}, fetch_size: 1000, small_batches: small });
    const out: number[] = [];
    for await (const batch of stream.batches) out.push(batch.length);
    return out;
  };
  assert.deepEqual(await sizes(true), [500, 500, 200]);
  assert.deepEqual(await sizes(false), [1000, 200]);
  // Through the step: the same file either way; parquet keeps one row group per fetch_size rows.
  const csv = await runStep(dbExtractStreamStep, {
    resource: "src",
    sql,
    output: "n.csv",
    format: "csv",
    fetch_size: 1000,
  }, s.ctx);
  assert.equal(csv.outputs?.row_count, 1200);
  assert.equal(read(join(s.ctx.artifactsDir, "n.csv")).split("\n").length, 1202);
  await runStep(dbExtractStreamStep, {
    resource: "src",
    sql,
    output: "n.parquet",
    format: "parquet",
    fetch_size: 1000,
  }, s.ctx);
  const { parquetMetadataAsync } = await import("hyparquet");
  const { openAsBlob } = await import("node:fs");
  const file = await (await openAsBlob(join(s.ctx.artifactsDir, "n.parquet"))).arrayBuffer();
  const meta = await parquetMetadataAsync(file);
  assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), [1000, 200]);
});
