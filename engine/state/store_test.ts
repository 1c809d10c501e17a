import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StateError } from "../errors.ts";
import { SCHEMA_VERSION, StateStore } from "./mod.ts";
import { tempDir } from "./_test_util.ts";
import { stateConformance } from "./_conformance.ts";

// The shared suite on a SQLite file; the backend clock is the store's injected `now`.
stateConformance({
  name: "sqlite",
  async fresh() {
    const dir = await tempDir();
    const path = `${dir.path}/state.db`;
    const T0 = 1_700_000_000_000;
    let offset = 0;
    const opened: StateStore[] = [];
    return {
      open(options = {}) {
        const store = StateStore.open(path, { ...options, now: () => T0 + offset * 1000 });
        opened.push(store);
        return Promise.resolve(store);
      },
      advance(seconds) {
        offset += seconds;
      },
      nowSeconds: () => Promise.resolve(Math.floor((T0 + offset * 1000) / 1000)),
      rows(table) {
        const db = new DatabaseSync(path, { readOnly: true });
        try {
          return Promise.resolve(db.prepare(`SELECT * FROM ${table}`).all().map((r) => ({ ...r })));
        } finally {
          db.close();
        }
      },
      async [Symbol.asyncDispose]() {
        for (const store of opened) store.close();
        await dir[Symbol.asyncDispose]();
      },
    };
  },
});

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
    assert.deepEqual(tables, ["job_runs", "locks", "process_groups", "runs", "schedule_fires", "step_runs"]);
  } finally {
    db.close();
  }
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
    definitionSha256: null,
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

Deno.test("StateStore stamps rows with its clock in Unix seconds (SQLite: the injected clock)", async () => {
  await using dir = await tempDir();
  using store = StateStore.open(`${dir.path}/s.db`, { now: () => 1_700_000_000_999 });
  store.setJobStatus("j", "r", "SUCCESS");
  assert.equal(store.getJobRecord("j", "r")?.updatedAt, 1_700_000_000);
  const run = store.beginRun({ runId: "r", flowId: "f", flowYaml: "f", version: "0", host: "h", pid: 1 });
  assert.deepEqual([run.startedAt, run.startedAtMs, run.invokedAtMs], [
    1_700_000_000,
    1_700_000_000_999,
    1_700_000_000_999,
  ]);
  assert.equal(await store.acquireLock("k", { owner: "r", ttlSeconds: 60 }), true);
  assert.equal(store.listLocks()[0]?.expiresAt, 1_700_000_060);
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
  assert.equal(store.getStepRecord("j", "old", "s")?.definitionSha256, null, "v5: not recorded");
  const check = new DatabaseSync(path, { readOnly: true });
  try {
    assert.equal(check.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
  } finally {
    check.close();
  }
});

Deno.test("StateStore notices its database file deleted or replaced and refuses to go on", async (t) => {
  for (const how of ["deleted", "replaced"] as const) {
    await t.step(how, async () => {
      await using dir = await tempDir();
      const path = `${dir.path}/state.db`;
      using store = StateStore.open(path);
      store.setJobStatus("j", "r", "RUNNING");
      for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(`${path}${suffix}`).catch(() => {});
      if (how === "replaced") StateStore.open(path).close();
      assert.throws(() => store.setJobStatus("j", "r", "SUCCESS"), (err: Error & { code?: string }) => {
        assert.ok(err instanceof StateError);
        assert.equal(err.code, "state:db_replaced");
        assert.match(err.message, /was deleted or replaced while this process used it/);
        return true;
      });
    });
  }
});

Deno.test("StateStore.open() migrates a version 3 database: process_groups added (v4), rows kept", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.db`;
  StateStore.open(path).close();
  const db = new DatabaseSync(path);
  db.exec("DROP TABLE process_groups; PRAGMA user_version = 3;");
  db.exec("INSERT INTO job_runs (job_id, run_id, status, updated_at) VALUES ('j', 'r', 'SUCCESS', 5)");
  db.close();
  {
    using ro = StateStore.open(path, { readOnly: true });
    assert.deepEqual(ro.listProcessGroups("r"), [], "read-only: a version 3 file has no process groups");
  }
  using store = StateStore.open(path);
  assert.equal(store.getJobRecord("j", "r")?.status, "SUCCESS");
  store.recordProcessGroup({
    runId: "r",
    jobId: "j",
    stepId: "s",
    pgid: 7,
    startTicks: 1,
    bootId: null,
    graceMs: 0,
  });
  assert.deepEqual(store.listProcessGroups("r").map((g) => g.pgid), [7]);
  const check = new DatabaseSync(path, { readOnly: true });
  try {
    assert.equal(check.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
  } finally {
    check.close();
  }
});

Deno.test("StateStore.open() migrates a version 4 database: step_runs.definition_sha256 added (v5), rows kept", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.db`;
  StateStore.open(path).close();
  const db = new DatabaseSync(path);
  db.exec("ALTER TABLE step_runs DROP COLUMN definition_sha256; PRAGMA user_version = 4;");
  db.exec(
    "INSERT INTO step_runs (job_id, run_id, step_id, status, updated_at) VALUES ('j', 'r', 's', 'SUCCESS', 5)",
  );
  db.close();
  {
    using ro = StateStore.open(path, { readOnly: true });
    assert.equal(ro.getStepRecord("j", "r", "s")?.definitionSha256, null, "read-only: read as it is");
  }
  using store = StateStore.open(path);
  assert.equal(store.getStepRecord("j", "r", "s")?.definitionSha256, null);
  store.setStepStatus("j", "r", "t", "SUCCESS", { output: {}, definitionSha256: "c".repeat(64) });
  assert.equal(store.getStepRecord("j", "r", "t")?.definitionSha256, "c".repeat(64));
  const check = new DatabaseSync(path, { readOnly: true });
  try {
    assert.equal(check.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
  } finally {
    check.close();
  }
});
