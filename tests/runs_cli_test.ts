// `aetherflow runs list|show` (and their aliases `state runs|show`) through the real CLI, on seeded databases,
// found from the flow (FLOW_YAML or --flow) or --db; `locks list` from the same flow forms.
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

Deno.test("runs list lists run records newest first (text, JSON, --limit); state runs is the same command", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  const text = await runCli(["runs", "list", "--db", db]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assert.match(lines[0]!, /^RUN_ID\s+FLOW_ID\s+STATUS\s+EXIT\s+STARTED\s+DURATION\s+INVOCATIONS$/);
  assert.match(lines[1]!, /^r-new\s+daily\s+SUCCESS\s+0\s+2026-01-01T00:01:00Z\s+0ms\s+1$/);
  assert.match(lines[2]!, /^r-old\s+daily\s+FAILED\s+1\s/);
  const alias = await runCli(["state", "runs", "--db", db]);
  assert.equal(alias.stdout, text.stdout);
  const json = await runCli(["runs", "list", "--db", db, "--json", "--limit", "1"]);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, true);
  assert.equal(doc.state, db);
  assert.equal(doc.runs.length, 1);
  assert.equal(doc.runs[0].run_id, "r-new");
  assert.equal(doc.runs[0].exit_code, 0);
  assert.equal(doc.runs[0].invocations, 1);
  assert.equal(doc.runs[0].started_at, "2026-01-01T00:01:00.000Z");
  assert.equal(doc.runs[0].started_at_ms, 1_767_225_660_000);
  assert.equal(doc.runs[0].stale, false);
});

Deno.test("runs list filters by status and since, and rejects a bad filter (exit 2)", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  const ids = async (...args: string[]) => {
    const r = await runCli(["runs", "list", "--db", db, "--json", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).runs.map((x: { run_id: string }) => x.run_id);
  };
  assert.deepEqual(await ids("--status", "failed"), ["r-old"]);
  assert.deepEqual(await ids("--since", "2026-01-01T00:00:30Z"), ["r-new"]);
  assert.deepEqual(await ids("--flow-id", "other"), []);
  for (const bad of [["--status", "DONE"], ["--since", "yesterday"], ["--limit", "x"]]) {
    const r = await runCli(["runs", "list", "--db", db, ...bad, "--json"]);
    assert.equal(r.code, 2, bad.join(" "));
    const err = JSON.parse(r.stdout);
    assert.equal(err.ok, false);
    assert.equal(err.errors[0].code, "usage");
  }
});

Deno.test("runs show prints the run record, jobs with their steps; state show is the same command", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  const text = await runCli(["runs", "show", "r-new", "--db", db]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Run r-new$/m);
  assert.match(text.stdout, /^ {2}status: SUCCESS$/m);
  assert.match(text.stdout, /extract {2}SKIPPED {2}- {2}skip_reason: count\(0\) < min_count\(1\) \(step\)/);
  assert.match(text.stdout, /outputs: \{"n":0\}/);
  assert.match(text.stdout, /report {2}BLOCKED/);
  assert.match(text.stdout, /gate\s+-\s+SKIPPED/);
  assert.equal((await runCli(["state", "show", "r-new", "--db", db])).stdout, text.stdout);
  const json = await runCli(["runs", "show", "r-old", "--db", db, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const shown = JSON.parse(json.stdout);
  assert.equal(shown.ok, true);
  assert.equal(shown.run.status, "FAILED");
  assert.deepEqual(shown.run.plugins, [{ name: "p", version: "1.2.0", sha256: "ab" }]);
  assert.deepEqual(shown.jobs.map((j: { job_id: string; error: string }) => [j.job_id, j.error]), [
    ["extract", "step s1 failed: boom"],
  ]);
  assert.deepEqual(shown.jobs[0].steps, []);
});

Deno.test("runs show reads an upstream database without a run record and leaves it unchanged", async () => {
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
  const r = await runCli(["runs", "show", "r0", "--db", db, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const shown = JSON.parse(r.stdout);
  assert.equal(shown.run, null);
  assert.deepEqual(
    shown.jobs[0].steps.map((s: { step_id: string; output: unknown }) => [s.step_id, s.output]),
    [[
      "s",
      null,
    ]],
  );
  const runs = await runCli(["runs", "list", "--db", db]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.equal(runs.stdout.trim(), "No runs recorded");
  assert.deepEqual(await Deno.readFile(db), before);
});

Deno.test("--flow <file> reads the flow's state like FLOW_YAML and --db: runs list, runs show, locks list", async () => {
  // docs/cli.md "Finding the state database": the flow is given positionally or with --flow; --db overrides.
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  {
    // Another flow's run in the same file (a flow lists its own runs only), and a lock held by a live process.
    using other = StateStore.open(db);
    const weekly = {
      flowId: "weekly",
      flowYaml: "/flows/weekly.yaml",
      version: "0.1.0",
      host: "h1",
      pid: 42,
    };
    other.beginRun({ ...weekly, runId: "w-1" });
    other.finishRun("w-1", { status: "SUCCESS", exitCode: 0 });
    using holder = StateStore.open(db, { host: Deno.hostname(), pid: Deno.pid });
    assert.equal(await holder.acquireLock("export", { owner: "r-new", ttlSeconds: 86_400 }), true);
  }
  const flow = `${dir.path}/daily.yaml`;
  await Deno.writeTextFile(
    flow,
    [
      "flow:",
      "  id: daily",
      `  workspace: {root: ${dir.path}/ws, cleanup_policy: never}`,
      `  state: {path: ${db}}`,
      "jobs:",
      "  - id: extract",
      "    steps:",
      "      - {id: gate, type: check_items, inputs: {items: [1]}}",
      "",
    ].join("\n"),
  );
  const before = await Deno.readFile(db);
  // The same command in each form; --flow also relative to the working directory.
  const same = async (cmd: string[], forms: { args: string[]; cwd?: string }[]) => {
    const outs = [];
    for (const { args, cwd } of forms) {
      const r = await runCli([...cmd, ...args], { cwd });
      assert.equal(r.code, 0, `${[...cmd, ...args].join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr, "", [...cmd, ...args].join(" "));
      outs.push(r.stdout);
    }
    for (const [i, out] of outs.entries()) {
      assert.equal(out, outs[0], `form ${i}: ${forms[i]!.args.join(" ")}`);
    }
    return outs[0]!;
  };
  const listed = await same(["runs", "list", "--json"], [
    { args: ["--flow", flow] },
    { args: ["--flow", "daily.yaml"], cwd: dir.path },
    { args: [flow] },
    { args: ["--db", db, "--flow-id", "daily"] },
  ]);
  assert.equal(JSON.parse(listed).state, db);
  assert.deepEqual(JSON.parse(listed).runs.map((r: { run_id: string }) => r.run_id), ["r-new", "r-old"]);
  const text = await same(["runs", "list"], [{ args: ["--flow", flow] }, { args: [flow] }]);
  assert.match(text, /^r-new\s+daily\s+SUCCESS\s/m);
  assert.doesNotMatch(text, /w-1/);
  const shown = await same(["runs", "show", "r-old", "--json"], [
    { args: ["--flow", flow] },
    { args: [flow] },
    { args: ["--db", db] },
  ]);
  assert.equal(JSON.parse(shown).run.status, "FAILED");
  const locks = await same(["locks", "list", "--json"], [
    { args: ["--flow", flow] },
    { args: [flow] },
    { args: ["--db", db] },
  ]);
  assert.deepEqual(
    JSON.parse(locks).locks.map((l: Record<string, unknown>) => [l.key, l.owner, l.pid, l.alive]),
    [["export", "r-new", Deno.pid, true]],
  );
  // --all-flows widens a flow's list to the whole file, like --db alone.
  const all = await same(["runs", "list", "--json"], [
    { args: ["--flow", flow, "--all-flows"] },
    { args: ["--db", db] },
  ]);
  assert.deepEqual(JSON.parse(all).runs.map((r: { run_id: string }) => r.run_id).sort(), [
    "r-new",
    "r-old",
    "w-1",
  ]);
  // --db overrides the flow's state block (the flow still picks its runs); two different flows exit 2.
  const moved = `${dir.path}/moved.db`;
  await Deno.copyFile(db, moved);
  const overridden = JSON.parse(
    (await runCli(["runs", "list", "--flow", flow, "--db", moved, "--json"])).stdout,
  );
  assert.equal(overridden.state, moved);
  assert.deepEqual(overridden.runs.map((r: { run_id: string }) => r.run_id), ["r-new", "r-old"]);
  const both = await runCli(["locks", "list", flow, "--flow", `${dir.path}/other.yaml`]);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /give the flow either as FLOW_YAML or with --flow, not both/);
  // Inspection through the flow is read-only, as with --db.
  assert.deepEqual(await Deno.readFile(db), before);
});

const USAGE_ERRORS = [
  ["neither flow nor --db", ["runs", "list"], /missing state database: give FLOW_YAML, --flow or --db/],
  ["a bad --limit", ["runs", "list", "--db", "DB", "--limit", "-3"], /non-negative integer/],
  ["an unknown run id", ["runs", "show", "nope", "--db", "DB"], /Error: Unknown run id: nope/],
  ["an unknown run id (logs)", ["runs", "logs", "nope", "--db", "DB"], /Error: Unknown run id: nope/],
  ["an unknown run id (diff)", ["runs", "diff", "nope", "--db", "DB"], /Error: Unknown run id: nope/],
  ["an unknown --against", ["runs", "diff", "r-new", "--against", "nope", "--db", "DB"], /--against: nope/],
  ["a missing flow file", ["runs", "list", "DIR/none.yaml"], /Flow file not found/],
  [
    "a bad --older-than",
    ["runs", "prune", "--db", "DB", "--older-than", "soon"],
    /Invalid --older-than "soon"/,
  ],
  ["the alias without --db", ["state", "runs"], /missing state database/],
] as const;

Deno.test("runs usage errors exit 2, naming what is wrong (text and --json)", async (t) => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  _seed(db);
  for (const [name, args, want] of USAGE_ERRORS) {
    await t.step(name, async () => {
      const argv = args.map((a) => a === "DB" ? db : a.replace("DIR", dir.path));
      const r = await runCli(argv);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, want);
      const j = await runCli([...argv, "--json"]);
      assert.equal(j.code, 2);
      const doc = JSON.parse(j.stdout);
      assert.equal(doc.ok, false);
      assert.match(
        doc.errors[0].msg,
        want.source.startsWith("Error") ? new RegExp(want.source.slice(7)) : want,
      );
      assert.equal(typeof doc.errors[0].code, "string");
      assert.equal(typeof doc.errors[0].loc, "string");
    });
  }
});

Deno.test("runs commands on a missing database exit 2 and create nothing", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/sub/missing.db`;
  for (
    const args of [
      ["runs", "list", "--db", db],
      ["runs", "show", "r", "--db", db],
      ["runs", "prune", "--db", db],
      ["locks", "list", "--db", db],
      ["locks", "release", "k", "--db", db],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `Error: State database not found: ${db}`);
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("runs and locks on a corrupt database exit 1 naming the file", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/corrupt.db`;
  await Deno.writeFile(db, crypto.getRandomValues(new Uint8Array(4096)));
  for (const args of [["runs", "list"], ["runs", "show", "r"], ["locks", "list"], ["runs", "prune"]]) {
    const r = await runCli([...args, "--db", db]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^Error: /);
    assert.ok(r.stderr.includes(db), r.stderr);
    const j = await runCli([...args, "--db", db, "--json"]);
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.stdout).errors[0].code, "state");
  }
});
