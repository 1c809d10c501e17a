import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION, StateStore } from "./mod.ts";
import { INPUTS_MAX_BYTES } from "./_tx.ts";
import { tempDir } from "./_test_util.ts";

const T0 = 1_700_000_000_000;

function _begin(store: StateStore, runId: string, flowId = "f") {
  return store.beginRun({ runId, flowId, flowYaml: "f.yaml", version: "0", host: "h", pid: 1 });
}

Deno.test("StateStore keeps run history: timings, step type and masked inputs, env and settings", async () => {
  await using dir = await tempDir();
  let now = T0;
  using store = StateStore.open(`${dir.path}/s.db`, {
    now: () => now,
    mask: (s) => s.replaceAll("pw1", "***"),
  });
  store.beginRun({
    runId: "r",
    flowId: "f",
    flowYaml: "f.yaml",
    version: "0",
    host: "h",
    pid: 1,
    env: { REGION: "eu", DB_PASSWORD: "***", UNSET: null },
    settings: { log_level: "INFO" },
    workspaceRoot: "/ws",
    logPath: "/s.db.logs/r.jsonl",
  });
  store.setJobStatus("j", "r", "RUNNING", { startedAtMs: T0 + 1 });
  store.setStepStatus("j", "r", "s", "SUCCESS", {
    output: {},
    stepType: "check_items",
    inputs: { items: [1], dsn: "user:pw1@db" },
    startedAtMs: T0 + 2,
    endedAtMs: T0 + 5,
  });
  store.setJobStatus("j", "r", "SUCCESS", { startedAtMs: T0 + 1, endedAtMs: T0 + 6 });
  now = T0 + 7;
  store.finishRun("r", { status: "SUCCESS", exitCode: 0 });
  const run = store.getRun("r")!;
  assert.equal(run.startedAtMs, T0);
  assert.equal(run.invokedAtMs, T0);
  assert.equal(run.endedAtMs, T0 + 7);
  assert.deepEqual(run.env, { REGION: "eu", DB_PASSWORD: "***", UNSET: null });
  assert.deepEqual(run.settings, { log_level: "INFO" });
  assert.equal(run.workspaceRoot, "/ws");
  assert.equal(run.logPath, "/s.db.logs/r.jsonl");
  const step = store.getStepRecord("j", "r", "s")!;
  assert.deepEqual(step.inputs, { items: [1], dsn: "user:***@db" });
  assert.equal(step.stepType, "check_items");
  assert.deepEqual([step.startedAtMs, step.endedAtMs], [T0 + 2, T0 + 5]);
  const job = store.getJobRecord("j", "r")!;
  assert.deepEqual([job.startedAtMs, job.endedAtMs], [T0 + 1, T0 + 6]);
  // A resume keeps the first start, moves the invocation start and clears the end.
  now = T0 + 100;
  _begin(store, "r");
  const again = store.getRun("r")!;
  assert.deepEqual([again.startedAtMs, again.invokedAtMs, again.endedAtMs], [T0, T0 + 100, null]);
});

Deno.test("StateStore records inputs larger than the bound as size and digest", async () => {
  await using dir = await tempDir();
  using store = StateStore.open(`${dir.path}/s.db`);
  const big = { text: "x".repeat(INPUTS_MAX_BYTES) };
  store.setStepStatus("j", "r", "s", "SUCCESS", { inputs: big });
  const inputs = store.getStepRecord("j", "r", "s")!.inputs!;
  assert.equal(inputs._truncated, true);
  assert.equal(typeof inputs.bytes, "number");
  assert.match(String(inputs.sha256), /^[0-9a-f]{64}$/);
  store.setStepStatus("j", "r", "s2", "SUCCESS", { inputs: { text: "y".repeat(INPUTS_MAX_BYTES) } });
  assert.notEqual(store.getStepRecord("j", "r", "s2")!.inputs!.sha256, inputs.sha256);
});

Deno.test("StateStore.listRuns() filters by flow, status and start time", async () => {
  await using dir = await tempDir();
  let now = T0;
  using store = StateStore.open(`${dir.path}/s.db`, { now: () => now });
  for (
    const [id, flow, status, at] of [["a", "f", "SUCCESS", 0], ["b", "g", "FAILED", 10], [
      "c",
      "f",
      "FAILED",
      20,
    ]] as const
  ) {
    now = T0 + at * 1000;
    _begin(store, id, flow);
    store.finishRun(id, { status, exitCode: status === "SUCCESS" ? 0 : 1 });
  }
  const ids = (o: Parameters<StateStore["listRuns"]>[0]) => store.listRuns(o).map((r) => r.runId);
  assert.deepEqual(ids({}), ["c", "b", "a"]);
  assert.deepEqual(ids({ flowId: "f" }), ["c", "a"]);
  assert.deepEqual(ids({ status: "FAILED" }), ["c", "b"]);
  assert.deepEqual(ids({ sinceSeconds: T0 / 1000 + 10 }), ["c", "b"]);
  assert.deepEqual(ids({ flowId: "f", status: "FAILED", limit: 5 }), ["c"]);
  assert.deepEqual(ids({ limit: 1 }), ["c"]);
});

Deno.test("StateStore.listLocks() tells live, dead and unknown holders; forceReleaseLock() refuses live ones", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  const alive = (pid: number) => pid === 101;
  using live = StateStore.open(path, { now: () => T0, pid: 101, host: "h", processAlive: alive });
  using dead = StateStore.open(path, { now: () => T0, pid: 202, host: "h", processAlive: alive });
  using remote = StateStore.open(path, { now: () => T0, pid: 101, host: "other", processAlive: alive });
  assert.equal(await live.acquireLock("k-live", { owner: "r1" }), true);
  assert.equal(await dead.acquireLock("k-dead", { owner: "r2" }), true);
  assert.equal(await remote.acquireLock("k-remote", { owner: "r3" }), true);
  const locks = live.listLocks();
  assert.deepEqual(locks.map((l) => [l.key, l.owner, l.alive, l.expired]), [
    ["k-dead", "r2", false, false],
    ["k-live", "r1", true, false],
    ["k-remote", "r3", null, false],
  ]);
  assert.equal(locks[0]!.expiresAt, T0 / 1000 + 600);
  assert.equal(live.forceReleaseLock("missing"), null);
  const refused = live.forceReleaseLock("k-live")!;
  assert.deepEqual([refused.released, refused.refused], [false, true]);
  assert.deepEqual(live.forceReleaseLock("k-dead"), { lock: locks[0], released: true, refused: false });
  assert.equal(live.forceReleaseLock("k-remote")!.released, true, "another host: cannot tell, so allowed");
  assert.equal(live.forceReleaseLock("k-live", { force: true })!.released, true);
  assert.deepEqual(live.listLocks(), []);
});

Deno.test("StateStore.deleteRun() removes every row of one run; orphan run ids are listed", async () => {
  await using dir = await tempDir();
  using store = StateStore.open(`${dir.path}/s.db`, { now: () => T0 });
  _begin(store, "keep");
  _begin(store, "drop");
  for (const run of ["keep", "drop", "orphan"]) {
    store.setJobStatus("j", run, "SUCCESS");
    store.setStepStatus("j", run, "s", "SUCCESS");
  }
  assert.deepEqual(store.listOrphanRunIds(), [{ runId: "orphan", updatedAt: T0 / 1000 }]);
  assert.equal(store.deleteRun("drop"), 3);
  assert.equal(store.getRun("drop"), null);
  assert.deepEqual(store.listJobRecords("drop"), []);
  assert.deepEqual(store.listStepRecords("drop"), []);
  assert.equal(store.listJobRecords("keep").length, 1);
  assert.equal(store.deleteRun("orphan"), 2);
  assert.deepEqual(store.listOrphanRunIds(), []);
});

Deno.test("StateStore.open() migrates a version 1 database to the run history columns", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/v1.db`;
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE job_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
      updated_at INTEGER NOT NULL, outputs_json TEXT, skip_reason TEXT, skip_trigger TEXT, error TEXT,
      PRIMARY KEY(job_id, run_id));
    CREATE TABLE step_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
      status TEXT NOT NULL, updated_at INTEGER NOT NULL, output_json TEXT, promoted_json TEXT,
      PRIMARY KEY(job_id, run_id, step_id));
    CREATE TABLE locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL, host TEXT, pid INTEGER);
    CREATE TABLE runs (run_id TEXT PRIMARY KEY, flow_id TEXT NOT NULL, flow_yaml TEXT, flow_sha256 TEXT,
      version TEXT, status TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, exit_code INTEGER,
      invocations INTEGER NOT NULL DEFAULT 1, host TEXT, pid INTEGER, plugins_json TEXT, bundle_json TEXT, error TEXT);
    INSERT INTO runs (run_id, flow_id, status, started_at) VALUES ('old', 'f', 'SUCCESS', 5);
    INSERT INTO step_runs (job_id, run_id, step_id, status, updated_at) VALUES ('j', 'old', 's', 'SUCCESS', 5);
    PRAGMA user_version = 1;`);
  db.close();
  {
    using ro = StateStore.open(path, { readOnly: true });
    assert.equal(ro.getRun("old")?.env, null, "read-only: an older schema is read as it is");
  }
  using store = StateStore.open(path);
  const run = store.getRun("old")!;
  assert.deepEqual([run.startedAtMs, run.env, run.logPath], [null, null, null]);
  assert.equal(store.getStepRecord("j", "old", "s")?.inputs, null);
  const check = new DatabaseSync(path, { readOnly: true });
  try {
    assert.equal(check.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
  } finally {
    check.close();
  }
});
