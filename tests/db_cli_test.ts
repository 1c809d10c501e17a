// The db steps through the real CLI: a SQLite flow that validates, runs and resumes; a PostgreSQL flow whose
// credentialed URL comes from an env var that is not secret-named, run in a foreign time zone, with one
// resource holding a wrong password — then a grep of everything the run wrote for the passwords (D18).
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runCli, stateRows, tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";
import { dumpStateText } from "../testdata/acceptance/kit.ts";

const pg = postgresService();

Deno.test("db_extract_stream from SQLite through the CLI: validate, run, outputs in state, resume skips it", async () => {
  await using dir = await tempDir();
  const db = new DatabaseSync(join(dir.path, "src.db"));
  db.exec("create table t (id integer, name text); insert into t values (1, 'a'), (2, 'b,c');");
  db.close();
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(
    flow,
    `flow:
  id: dbflow
  workspace: {root: ${dir.path}/ws, cleanup_policy: never}
  state: {path: ${dir.path}/state.sqlite}
resources:
  src: {kind: db, driver: sqlite3, config: {path: ${dir.path}/src.db}}
jobs:
  - id: export
    steps:
      - id: dump
        type: db_extract_stream
        inputs: {resource: src, sql: "select id, name from t order by id", output: out/t.csv, format: csv}
      - id: count
        type: db_fetch_small
        inputs: {resource: src, sql: "select count(*) as n from t"}
        outputs: {count_json: "{{result.rows_json}}"}
`,
  );
  const bad = flow.replace(".yaml", "_bad.yaml");
  await Deno.writeTextFile(
    bad,
    (await Deno.readTextFile(flow)).replace("format: csv", "format: xml").replace(
      "driver: sqlite3",
      "driver: sqlite9",
    ),
  );
  const invalid = await runCli(["validate", bad]);
  assert.equal(invalid.code, 2, invalid.stderr);
  assert.match(invalid.stdout + invalid.stderr, /db_extract_stream unsupported format: xml/);
  assert.match(invalid.stdout + invalid.stderr, /Unknown connector: db:sqlite9/);

  const run = await runCli(["run", flow, "--run-id", "R1"]);
  assert.equal(run.code, 0, run.stderr);
  const rows = stateRows(
    join(dir.path, "state.sqlite"),
    "SELECT step_id, output_json FROM step_runs ORDER BY step_id",
  );
  const out = Object.fromEntries(rows.map((r) => [r.step_id, JSON.parse(String(r.output_json))]));
  const csv = join(dir.path, "ws/dbflow/export/R1/artifacts/out/t.csv");
  assert.equal(out.dump.artifact_path, csv);
  assert.equal(out.dump.row_count, 2);
  assert.equal(Deno.readTextFileSync(csv), 'id,name\n1,a\n2,"b,c"\n');
  assert.equal(out.count.rows_json, "[[2]]");

  // Resume: finished steps are not run again (the file is not rewritten).
  const before = Deno.statSync(csv).mtime?.getTime();
  await new Promise((r) => setTimeout(r, 20));
  const again = await runCli(["run", flow, "--run-id", "R1"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(Deno.statSync(csv).mtime?.getTime(), before);
});

async function readTree(root: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  async function walk(d: string): Promise<void> {
    for await (const e of Deno.readDir(d)) {
      const full = join(d, e.name);
      if (e.isDirectory) await walk(full);
      else if (e.isFile) {
        out.push([relative(root, full), new TextDecoder("latin1").decode(await Deno.readFile(full))]);
      }
    }
  }
  await walk(root);
  return out;
}

Deno.test({
  name:
    "postgres through the CLI: exact values in another time zone; no password anywhere the run writes (D18)",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const { default: postgres } = await import("postgres");
  const admin = postgres(db.url, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`create table t (id int, at timestamp, amount numeric(12,2));
    insert into t values (1, '2024-03-10 02:30:00', 10.10), (2, '2024-11-03 01:30:00.25', -0.5)`);
  await admin.end();
  await using dir = await tempDir();
  const good = new URL(db.url);
  const goodPassword = decodeURIComponent(good.password);
  const badPassword = "Wr0ng-p@ss/word-4711";
  const bad = new URL(db.url);
  bad.password = encodeURIComponent(badPassword);
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(
    flow,
    `flow:
  id: pgflow
  workspace: {root: ${dir.path}/ws, cleanup_policy: never}
  state: {path: ${dir.path}/state.sqlite}
resources:
  wh: {kind: db, driver: sqlalchemy, config: {url: "{{env.WAREHOUSE_URL}}"}}
  other: {kind: db, driver: postgres, config: {url: "{{env.OTHER_URL}}"}}
jobs:
  - id: export
    steps:
      - id: dump
        type: db_extract_stream
        inputs: {resource: wh, sql: "select * from t where id >= :min order by id", params: {min: 1}, output: t.tsv}
  - id: broken
    steps:
      - id: probe
        type: db_fetch_small
        inputs: {resource: other, sql: "select 1"}
`,
  );
  const env = {
    WAREHOUSE_URL: db.url.replace("postgres://", "postgresql+psycopg2://"),
    OTHER_URL: bad.toString(),
    AETHERFLOW_LOG_FORMAT: "json",
    AETHERFLOW_LOG_LEVEL: "DEBUG",
    TZ: "America/New_York",
  };
  const run = await runCli(["run", flow, "--run-id", "R1"], { env });
  assert.equal(run.code, 1, run.stderr);
  const tsv = join(dir.path, "ws/pgflow/export/R1/artifacts/t.tsv");
  assert.equal(
    Deno.readTextFileSync(tsv),
    "id\tat\tamount\n1\t2024-03-10 02:30:00\t10.10\n2\t2024-11-03 01:30:00.250\t-0.50\n",
    "naive timestamps keep their wall clock, even one that does not exist in the process time zone",
  );
  assert.match(run.stderr, /Resource other \(db:postgres\): password authentication failed for user/);

  const secrets = [
    goodPassword,
    encodeURIComponent(goodPassword),
    badPassword,
    encodeURIComponent(badPassword),
  ];
  const texts: [string, string][] = [["stdout", run.stdout], ["stderr", run.stderr]];
  for (const line of dumpStateText(join(dir.path, "state.sqlite"))) texts.push(["state", line]);
  texts.push([
    "state bytes",
    new TextDecoder("latin1").decode(await Deno.readFile(join(dir.path, "state.sqlite"))),
  ]);
  for (const [path, text] of await readTree(dir.path)) {
    if (!path.endsWith(".yaml")) texts.push([path, text]);
  }
  const show = await runCli(["state", "show", "--db", join(dir.path, "state.sqlite"), "R1"], { env });
  texts.push(["state show", show.stdout + show.stderr]);
  for (const [where, text] of texts) {
    for (const s of secrets) {
      assert.ok(!text.includes(s), `${where} contains a password (${s.slice(0, 3)}…)`);
      assert.ok(!text.includes(s.slice(0, 8)), `${where} contains the first 8 characters of a password`);
    }
  }
});

Deno.test("the db_extract_stream example of docs/steps.md runs as written", async () => {
  await using dir = await tempDir();
  const doc = await Deno.readTextFile(new URL("../docs/steps.md", import.meta.url));
  const section = doc.slice(doc.indexOf("## db_extract_stream"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!
    .replaceAll("/tmp/shop.db", join(dir.path, "shop.db"))
    .replaceAll("/tmp/aetherflow-ws", join(dir.path, "ws"))
    // The example keeps the default state path; the test keeps its state in its own dir.
    .replace("  workspace:", `  state:\n    path: ${join(dir.path, "state.sqlite")}\n  workspace:`);
  const db = new DatabaseSync(join(dir.path, "shop.db"));
  db.exec("create table orders(id, total); insert into orders values (1, 9.5), (2, 12)");
  db.close();
  const flow = join(dir.path, "example.yaml");
  await Deno.writeTextFile(flow, yaml);
  const run = await runCli(["run", flow, "--run-id", "EX"], { cwd: dir.path });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    Deno.readTextFileSync(join(dir.path, "ws/exports/orders.csv")),
    "id,total\n1,9.5\n2,12\n",
  );
});
