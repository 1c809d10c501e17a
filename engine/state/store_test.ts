import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StateError } from "../errors.ts";
import { SCHEMA_VERSION, StateStore } from "./mod.ts";
import { tempDir } from "./_test_util.ts";

Deno.test("StateStore.open() creates parent dirs, WAL, schema version and the tables", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/a/b/state.db`;
  using store = StateStore.open(path);
  assert.equal(store.path, path);
  const db = new DatabaseSync(path);
  try {
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
      .map((r) => r.name);
    assert.deepEqual(tables, ["job_runs", "locks", "runs", "step_runs"]);
  } finally {
    db.close();
  }
});

Deno.test("StateStore job and step rows round-trip outputs for resume (D4)", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.db`;
  {
    using store = StateStore.open(path, { now: () => 1_700_000_000_999 });
    store.setJobStatus("j1", "r1", "RUNNING");
    store.setStepStatus("j1", "r1", "s1", "SUCCESS", {
      output: { n: 3, list: [1, "two", null, { deep: true }], text: "é\u0000x" },
      promoted: { count: 3 },
    });
    store.setStepStatus("j1", "r1", "s2", "SKIPPED", {
      output: { skipped: true, reason: "count(0) < min_count(1)" },
    });
    store.setJobStatus("j1", "r1", "SKIPPED", {
      outputs: { count: 3 },
      skipReason: "count(0) < min_count(1)",
      skipTrigger: "step",
    });
  }
  using store = StateStore.open(path);
  assert.deepEqual(store.getJobRecord("j1", "r1"), {
    jobId: "j1",
    runId: "r1",
    status: "SKIPPED",
    outputs: { count: 3 },
    skipReason: "count(0) < min_count(1)",
    skipTrigger: "step",
    error: null,
    updatedAt: 1_700_000_000,
    startedAtMs: null,
    endedAtMs: null,
  });
  const s1 = store.getStepRecord("j1", "r1", "s1");
  assert.deepEqual(s1?.output, { n: 3, list: [1, "two", null, { deep: true }], text: "é\u0000x" });
  assert.deepEqual(s1?.promoted, { count: 3 });
  assert.equal(store.getStepRecord("j1", "r1", "nope"), null);
  assert.equal(store.getJobRecord("j1", "other"), null);
  assert.deepEqual(store.listStepRecords("r1").map((s) => [s.stepId, s.status]), [
    ["s1", "SUCCESS"],
    ["s2", "SKIPPED"],
  ]);
  assert.deepEqual(store.listStepRecords("r1", "zz"), []);
  assert.equal(store.listJobRecords("r1").length, 1, "INSERT OR REPLACE keeps one row per (job, run)");
});

Deno.test("StateStore masks outputs, errors and run records before writing (D18)", async () => {
  await using dir = await tempDir();
  const mask = (s: string) => s.replaceAll("hunter22", "***");
  using store = StateStore.open(`${dir.path}/state.db`, { mask });
  store.setStepStatus("j", "r", "s", "SUCCESS", {
    output: { dsn: "user:hunter22@db", nested: ["x hunter22"], hunter22: 1 },
    promoted: { p: "hunter22" },
  });
  store.setJobStatus("j", "r", "FAILED", { error: "login hunter22 refused", outputs: { o: "hunter22" } });
  store.beginRun({
    runId: "r",
    flowId: "f",
    flowYaml: "pw: hunter22",
    version: "0.1.0",
    host: "h",
    pid: 1,
    bundle: { url: "https://u:hunter22@x" },
  });
  store.finishRun("r", { status: "FAILED", exitCode: 1, error: "bad hunter22" });
  const db = new DatabaseSync(store.path);
  try {
    const dump = JSON.stringify([
      db.prepare("SELECT * FROM step_runs").all(),
      db.prepare("SELECT * FROM job_runs").all(),
      db.prepare("SELECT * FROM runs").all(),
    ]);
    assert.ok(!dump.includes("hunter22"), dump);
    assert.ok(dump.includes("***"));
  } finally {
    db.close();
  }
  assert.deepEqual(store.getStepRecord("j", "r", "s")?.output, {
    dsn: "user:***@db",
    nested: ["x ***"],
    "***": 1,
  });
  assert.equal(store.getJobRecord("j", "r")?.error, "login *** refused");
});

Deno.test("StateStore.beginRun() inserts, then counts invocations on resume; finishRun() closes it", async () => {
  await using dir = await tempDir();
  let now = 1_000_000;
  using store = StateStore.open(`${dir.path}/state.db`, { now: () => now });
  const rec = {
    runId: "r1",
    flowId: "f",
    flowYaml: "version: 1",
    flowSha256: "ab",
    version: "0.1.0",
    host: "h",
    pid: 7,
    plugins: [{ name: "p", version: "1.0.0", sha256: "cd" }],
    bundle: { bundle_id: "b", fingerprint: "fp", source_type: "git", commit: "c0" },
  };
  const first = store.beginRun(rec);
  assert.equal(first.status, "RUNNING");
  assert.equal(first.invocations, 1);
  assert.equal(first.startedAt, 1000);
  assert.deepEqual(first.plugins, rec.plugins);
  now = 2_000_000;
  store.finishRun("r1", { status: "FAILED", exitCode: 1, error: "job a failed" });
  const done = store.getRun("r1");
  assert.deepEqual([done?.status, done?.exitCode, done?.endedAt, done?.error], [
    "FAILED",
    1,
    2000,
    "job a failed",
  ]);
  now = 3_000_000;
  const again = store.beginRun({ ...rec, pid: 8 });
  assert.deepEqual(
    [again.status, again.invocations, again.startedAt, again.endedAt, again.exitCode, again.error, again.pid],
    ["RUNNING", 2, 1000, null, null, null, 8],
  );
  store.finishRun("r1", { status: "SUCCESS", exitCode: 0 });
  store.beginRun({ ...rec, runId: "r2", flowId: "g" });
  assert.deepEqual(store.listRuns().map((r) => r.runId), ["r2", "r1"]);
  assert.deepEqual(store.listRuns({ limit: 1 }).map((r) => r.runId), ["r2"]);
  assert.deepEqual(store.listRuns({ flowId: "f" }).map((r) => r.runId), ["r1"]);
  assert.equal(store.getRun("nope"), null);
});

Deno.test("StateStore.open() migrates an upstream (version 0) database in place", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/upstream.db`;
  const up = new DatabaseSync(path);
  up.exec(`CREATE TABLE job_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id));
    CREATE TABLE step_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
      status TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id, step_id));
    CREATE TABLE locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL);
    INSERT INTO job_runs VALUES ('j', 'old', 'SUCCESS', 5);
    INSERT INTO step_runs VALUES ('j', 'old', 's', 'SUCCESS', 5);
    INSERT INTO locks VALUES ('k', 'old', 99999999999);`);
  up.close();
  using store = StateStore.open(path);
  assert.deepEqual(store.getStepRecord("j", "old", "s"), {
    jobId: "j",
    runId: "old",
    stepId: "s",
    status: "SUCCESS",
    output: null,
    promoted: null,
    updatedAt: 5,
    stepType: null,
    inputs: null,
    startedAtMs: null,
    endedAtMs: null,
  });
  assert.equal(store.getJobRecord("j", "old")?.outputs, null);
  store.setJobStatus("j", "old", "SUCCESS", { outputs: { a: 1 } });
  assert.deepEqual(store.getJobRecord("j", "old")?.outputs, { a: 1 });
  assert.equal(await store.acquireLock("k", { owner: "new" }), false, "upstream lock rows stay valid");
  const db = new DatabaseSync(path);
  try {
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
    // An upstream SQL recipe keeps working.
    assert.deepEqual(
      db.prepare("SELECT job_id, run_id, status, updated_at FROM job_runs").all().map((r) => ({ ...r })),
      [{
        job_id: "j",
        run_id: "old",
        status: "SUCCESS",
        updated_at: store.getJobRecord("j", "old")?.updatedAt,
      }],
    );
  } finally {
    db.close();
  }
});

Deno.test("StateStore.open() refuses a newer schema version without touching the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/new.db`;
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
  db.close();
  const before = await Deno.readFile(path);
  assert.throws(() => StateStore.open(path), (err: unknown) => {
    assert.ok(err instanceof StateError);
    assert.equal(err.exitCode, 1);
    assert.ok(
      err.message.startsWith(
        `State database schema version ${SCHEMA_VERSION + 5} is newer than supported (${SCHEMA_VERSION})`,
      ),
      err.message,
    );
    assert.ok(err.message.includes(path));
    return true;
  });
  assert.deepEqual(await Deno.readFile(path), before);
});

Deno.test("StateStore.open() reports a corrupt file by name and leaves it unchanged", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/corrupt.db`;
  const bytes = new Uint8Array(8192);
  crypto.getRandomValues(bytes);
  await Deno.writeFile(path, bytes);
  assert.throws(() => StateStore.open(path), (err: unknown) => {
    assert.ok(err instanceof StateError);
    assert.ok(err.message.includes(path), err.message);
    return true;
  });
  assert.deepEqual(await Deno.readFile(path), bytes);
});

Deno.test("StateStore.open() reports an unreachable path by name", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/file`, "x");
  const path = `${dir.path}/file/sub/state.db`; // parent is a regular file
  assert.throws(() => StateStore.open(path), (err: unknown) => {
    assert.ok(err instanceof StateError);
    assert.ok(err.message.includes(path), err.message);
    return true;
  });
});

Deno.test("StateStore.open() in a read-only directory is a StateError naming the file", async () => {
  await using dir = await tempDir();
  const ro = `${dir.path}/ro`;
  await Deno.mkdir(ro);
  const path = `${ro}/state.db`;
  if (Deno.uid() !== 0) {
    await Deno.chmod(ro, 0o555);
    try {
      assert.throws(() => StateStore.open(path), (err: unknown) => err instanceof StateError);
    } finally {
      await Deno.chmod(ro, 0o755);
    }
  }
  // Root ignores mode bits: deny writes through the runtime's permissions in a child process instead.
  const script = new URL("../../testdata/state/open_store.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read`,
      `--allow-write=${dir.path}/elsewhere`,
      "--allow-sys",
      "--allow-env",
      script,
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 3, text + new TextDecoder().decode(out.stderr));
  assert.ok(text.startsWith("StateError:"), text);
  assert.ok(text.includes(path), text);
  assert.equal(await Deno.stat(path).then(() => true, () => false), false, "nothing was created");
});

Deno.test("StateStore.open({readOnly}) reads an existing database and never creates one", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.db`;
  assert.throws(() => StateStore.open(path, { readOnly: true }), { name: "StateError" });
  assert.equal(await Deno.stat(path).then(() => true, () => false), false);
  {
    using rw = StateStore.open(path);
    rw.setJobStatus("j", "r", "SUCCESS");
  }
  using ro = StateStore.open(path, { readOnly: true });
  assert.equal(ro.getJobRecord("j", "r")?.status, "SUCCESS");
  assert.throws(() => ro.setJobStatus("j", "r", "FAILED"), (err: unknown) => {
    assert.ok(err instanceof StateError);
    assert.ok(err.message.includes(path));
    return true;
  });
});

Deno.test("StateStore operations after close() are StateErrors", async () => {
  await using dir = await tempDir();
  const store = StateStore.open(`${dir.path}/s.db`);
  store.close();
  store.close();
  assert.throws(() => store.getRun("r"), { name: "StateError" });
});

Deno.test("StateStore.open(':memory:') keeps everything in memory", async () => {
  await using dir = await tempDir();
  const cwd = Deno.cwd();
  Deno.chdir(dir.path);
  try {
    using store = StateStore.open(":memory:");
    assert.equal(store.path, ":memory:");
    store.setJobStatus("j", "r", "SUCCESS");
    assert.equal(store.getJobRecord("j", "r")?.status, "SUCCESS");
    assert.deepEqual([...Deno.readDirSync(dir.path)], []);
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("StateStore.open({readOnly}) reads an upstream database as it is, without migrating it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/upstream.db`;
  const up = new DatabaseSync(path);
  up.exec(`CREATE TABLE job_runs (job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id));
    INSERT INTO job_runs VALUES ('j', 'old', 'FAILED', 5);`);
  up.close();
  const before = await Deno.readFile(path);
  {
    using ro = StateStore.open(path, { readOnly: true });
    assert.deepEqual(ro.listJobRecords("old").map((j) => [j.jobId, j.status, j.outputs]), [[
      "j",
      "FAILED",
      null,
    ]]);
    assert.deepEqual(ro.listStepRecords("old"), [], "no step_runs table: empty");
    assert.deepEqual(ro.listRuns(), []);
    assert.equal(ro.getRun("old"), null);
  }
  assert.deepEqual(await Deno.readFile(path), before);
});

Deno.test("StateStore reuses its prepared statements across calls and after a failed one", async () => {
  await using dir = await tempDir();
  using store = StateStore.open(`${dir.path}/s.db`);
  store.setStepStatus("j", "r", "s1", "SUCCESS", { output: { n: 1 } });
  using ro = StateStore.open(`${dir.path}/s.db`, { readOnly: true });
  for (let i = 0; i < 3; i++) {
    assert.throws(() => ro.setStepStatus("j", "r", `x${i}`, "SUCCESS"), { name: "StateError" });
    assert.equal(ro.getStepRecord("j", "r", "s1")?.status, "SUCCESS");
  }
  for (let i = 2; i <= 4; i++) store.setStepStatus("j", "r", `s${i}`, "SUCCESS", { output: { n: i } });
  assert.deepEqual(store.listStepRecords("r", "j").map((s) => s.output?.n), [1, 2, 3, 4]);
  assert.equal(await store.acquireLock("k", { owner: "a" }), true);
  assert.equal(await store.acquireLock("k", { owner: "b" }), false);
  assert.equal(store.releaseLock("k", "a"), true);
  assert.equal(await store.acquireLock("k", { owner: "b" }), true);
  store.close();
  assert.throws(() => store.getStepRecord("j", "r", "s1"), { name: "StateError" });
});
