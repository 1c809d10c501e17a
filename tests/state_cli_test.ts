// `aetherflow state runs|show` through the real CLI.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StateStore } from "../engine/state/mod.ts";
import { runCli, tempDir } from "./_helpers.ts";

function _seed(path: string): void {
  let now = 1_767_225_600_000; // 2026-01-01T00:00:00Z
  using store = StateStore.open(path, { now: () => now });
  const base = { flowId: "daily", flowYaml: "/flows/daily.yaml", version: "0.1.0", host: "h1", pid: 42 };
  store.beginRun({ ...base, runId: "r-old", plugins: [{ name: "p", version: "1.2.0", sha256: "ab" }] });
  store.setJobStatus("extract", "r-old", "FAILED", { error: "step s1 failed: boom", outputs: {} });
  store.finishRun("r-old", { status: "FAILED", exitCode: 1, error: "job extract failed" });
  now += 60_000;
  store.beginRun({ ...base, runId: "r-new" });
  store.setStepStatus("extract", "r-new", "gate", "SKIPPED", {
    output: { has_data: false, count: 0, reason: "count(0) < min_count(1)" },
    promoted: { n: 0 },
  });
  store.setJobStatus("extract", "r-new", "SKIPPED", {
    outputs: { n: 0 },
    skipReason: "count(0) < min_count(1)",
    skipTrigger: "step",
  });
  store.setJobStatus("report", "r-new", "BLOCKED");
  store.finishRun("r-new", { status: "SUCCESS", exitCode: 0 });
}

Deno.test("state runs lists run records newest first (text, JSON, --limit)", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  const text = await runCli(["state", "runs", "--db", db]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assert.match(lines[0]!, /^RUN_ID\s+FLOW_ID\s+STATUS\s+EXIT\s+STARTED\s+ENDED\s+INVOCATIONS$/);
  assert.match(lines[1]!, /^r-new\s+daily\s+SUCCESS\s+0\s+2026-01-01T00:01:00Z\s+2026-01-01T00:01:00Z\s+1$/);
  assert.match(lines[2]!, /^r-old\s+daily\s+FAILED\s+1\s/);
  const json = await runCli(["state", "runs", "--db", db, "--json", "--limit", "1"]);
  assert.equal(json.code, 0, json.stderr);
  const runs = JSON.parse(json.stdout);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].run_id, "r-new");
  assert.equal(runs[0].exit_code, 0);
  assert.equal(runs[0].invocations, 1);
});

Deno.test("state show prints the run record, job rows and step rows", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  const text = await runCli(["state", "show", "r-new", "--db", db]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Run r-new$/m);
  assert.match(text.stdout, /^ {2}status: SUCCESS$/m);
  assert.match(
    text.stdout,
    /extract\s+SKIPPED\s+\S+\s+\{"n":0\}\s+skip_reason: count\(0\) < min_count\(1\) \(step\)/,
  );
  assert.match(text.stdout, /report\s+BLOCKED/);
  assert.match(text.stdout, /extract\s+gate\s+SKIPPED/);
  const json = await runCli(["state", "show", "r-old", "--db", db, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const shown = JSON.parse(json.stdout);
  assert.equal(shown.run.status, "FAILED");
  assert.deepEqual(shown.run.plugins, [{ name: "p", version: "1.2.0", sha256: "ab" }]);
  assert.deepEqual(shown.jobs.map((j: { job_id: string; error: string }) => [j.job_id, j.error]), [
    ["extract", "step s1 failed: boom"],
  ]);
  assert.deepEqual(shown.steps, []);
});

Deno.test("state show reads an upstream database without a run record and leaves it unchanged", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/upstream.db`;
  const up = new DatabaseSync(db);
  up.exec(`CREATE TABLE job_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id));
    CREATE TABLE step_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
      status TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id, step_id));
    INSERT INTO job_runs VALUES ('a', 'r0', 'SUCCESS', 5);
    INSERT INTO step_runs VALUES ('a', 'r0', 's', 'SUCCESS', 5);`);
  up.close();
  const before = await Deno.readFile(db);
  const r = await runCli(["state", "show", "r0", "--db", db, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout);
  assert.equal(shown.run, null);
  assert.deepEqual(shown.steps.map((s: { step_id: string; output: unknown }) => [s.step_id, s.output]), [[
    "s",
    null,
  ]]);
  const runs = await runCli(["state", "runs", "--db", db]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.equal(runs.stdout.trim(), "No runs recorded");
  assert.deepEqual(await Deno.readFile(db), before);
});

const USAGE_ERRORS = [
  ["missing --db", ["state", "runs"], /--db/],
  ["a bad --limit", ["state", "runs", "--db", "DB", "--limit", "-3"], /non-negative integer/],
  ["an unknown run id", ["state", "show", "nope", "--db", "DB"], /Error: Unknown run id: nope/],
] as const;

Deno.test("state usage errors exit 2", async (t) => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  for (const [name, args, want] of USAGE_ERRORS) {
    await t.step(name, async () => {
      const r = await runCli(args.map((a) => a === "DB" ? db : a));
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, want);
    });
  }
});

Deno.test("state on a missing database exits 2 and creates nothing", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/sub/missing.db`;
  for (const args of [["state", "runs", "--db", db], ["state", "show", "r", "--db", db]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `Error: State database not found: ${db}`);
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("state on a corrupt database exits 1 naming the file", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/corrupt.db`;
  await Deno.writeFile(db, crypto.getRandomValues(new Uint8Array(4096)));
  const r = await runCli(["state", "runs", "--db", db]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^Error: /);
  assert.ok(r.stderr.includes(db), r.stderr);
});
