// `aetherflow state migrate --from sqlite:<file> --to postgres:<url>` through the real CLI (docs/state.md
// "Moving to PostgreSQL"): every row copied and verified, a second migration changes nothing, the history reads
// the same from either backend, a source with a live lock is refused, and the password is never printed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import { StateStore } from "../engine/state/mod.ts";
import { SCHEMA_DIR } from "../scripts/json_schemas.ts";
import { runCli, stateRows, tempDir, writeDemoFlow } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();

const _JOBS = `  - id: a
    steps:
      - {id: s1, type: check_items, inputs: {items: [1, 2]}, outputs: {count: "{{result.count}}"}}
  - id: b
    depends_on: [a]
    steps:
      - {id: s2, type: check_items, inputs: {items: [3]}}
`;

function _count(db: string, table: string): number {
  return Number(stateRows(db, `SELECT count(*) AS n FROM ${table}`)[0]!.n);
}

Deno.test({
  name:
    "state migrate copies and verifies every row, is idempotent, and the history reads the same afterwards",
  ignore: pg.ignore,
}, async () => {
  await using pgdb = await postgresDatabase();
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, _JOBS);
  const db = join(dir.path, "state.sqlite");
  for (const id of ["m1", "m2", "m3"]) assert.equal((await runCli(["run", flow, "--run-id", id])).code, 0);
  assert.equal((await runCli(["run", flow, "--run-id", "m3"])).code, 0); // a resume: invocations 2
  const counts = {
    runs: _count(db, "runs"),
    job_runs: _count(db, "job_runs"),
    step_runs: _count(db, "step_runs"),
  };
  assert.deepEqual(counts, { runs: 3, job_runs: 6, step_runs: 6 });

  const args = ["state", "migrate", "--from", `sqlite:${db}`, "--to", `postgres:${pgdb.url}`, "--json"];
  const first = await runCli(args);
  assert.equal(first.code, 0, first.stderr);
  const doc = JSON.parse(first.stdout);
  assert.equal(doc.ok, true);
  const schema = JSON.parse(await Deno.readTextFile(join(SCHEMA_DIR, "state-migrate.schema.json")));
  const checked = new Validator(schema, "2020-12", false).validate(doc);
  assert.ok(checked.valid, JSON.stringify(checked.errors));
  assert.equal(doc.from, db);
  assert.ok(!first.stdout.includes(pg.get().password), "password printed");
  const byTable = (d: { tables: Record<string, unknown>[] }) =>
    Object.fromEntries(d.tables.map((t) => [t.table, [t.source, t.unchanged, t.verified]]));
  assert.deepEqual(byTable(doc), {
    runs: [3, 0, 3],
    job_runs: [6, 0, 6],
    step_runs: [6, 0, 6],
    schedule_fires: [0, 0, 0],
  });

  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(byTable(JSON.parse(again.stdout)), {
    runs: [3, 3, 3],
    job_runs: [6, 6, 6],
    step_runs: [6, 6, 6],
    schedule_fires: [0, 0, 0],
  });

  // The same history from either backend.
  for (const cmd of [["runs", "list", "--json"], ["runs", "show", "m3", "--json"]]) {
    const a = await runCli([...cmd, "--db", db]);
    const b = await runCli([...cmd, "--db", pgdb.url]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const strip = (text: string) => ({ ...JSON.parse(text), state: "-" });
    assert.deepEqual(strip(b.stdout), strip(a.stdout));
  }
  // The text form: one line per table.
  const text = await runCli(["state", "migrate", "--from", db, "--to", pgdb.url]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^step_runs\s+6\s+6\s+6$/m);
});

Deno.test({
  name: "state migrate refuses a source with a live lock (exit 1) and bad locations (exit 2)",
  ignore: pg.ignore,
}, async () => {
  await using pgdb = await postgresDatabase();
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, _JOBS);
  const db = join(dir.path, "state.sqlite");
  assert.equal((await runCli(["run", flow, "--run-id", "x1"])).code, 0);
  {
    using store = StateStore.open(db);
    assert.equal(await store.acquireLock("nightly-load", { owner: "x2", ttlSeconds: 600 }), true);
  }
  const live = await runCli(["state", "migrate", "--from", db, "--to", pgdb.url]);
  assert.equal(live.code, 1, live.stderr);
  assert.match(live.stderr, /1 live lock\(s\) \(nightly-load\): a run is going on/);

  const wrongWay = await runCli(["state", "migrate", "--from", pgdb.url, "--to", db]);
  assert.equal(wrongWay.code, 2);
  assert.match(wrongWay.stderr, /--from must be a SQLite state/);
  assert.ok(!wrongWay.stderr.includes(pg.get().password));

  const missing = await runCli([
    "state",
    "migrate",
    "--from",
    join(dir.path, "nope.sqlite"),
    "--to",
    pgdb.url,
  ]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.sqlite/);
});
