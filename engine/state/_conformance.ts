// The state store conformance suite (docs/state.md "Backends"): every behaviour the runner, the scheduler and the
// operator commands rely on, run against each backend (`store_test.ts`: SQLite, `postgres_store_test.ts`:
// PostgreSQL). A backend passes the same cases or names, per case, why it cannot.
//
// Time: each fixture has a clock it controls — the SQLite store's injected `now`, or an offset added to the
// PostgreSQL server's clock (which keeps running in real time, so the cases keep a margin of seconds around
// every expiry instead of asserting exact instants).
import assert from "node:assert/strict";
import type { StateBackend } from "./backend.ts";
import { INPUTS_MAX_BYTES } from "./_tx.ts";

/** How a case opens backends on one fresh location. */
export interface ConformanceFixture extends AsyncDisposable {
  /** A backend on this location; closed when the fixture is disposed. */
  open(options?: FixtureOpenOptions): Promise<StateBackend>;
  /** Move the backend clock forward (every backend of the fixture sees it). */
  advance(seconds: number): void;
  /** The backend clock now, in Unix seconds. */
  nowSeconds(): Promise<number>;
  /** Every row of `table` as stored (raw column values). */
  rows(table: string): Promise<Record<string, unknown>[]>;
}

export interface FixtureOpenOptions {
  host?: string;
  pid?: number;
  mask?: (s: string) => string;
  processAlive?: (pid: number) => boolean;
  lockRetryMs?: number;
  readOnly?: boolean;
}

export interface ConformanceTarget {
  /** `sqlite` or `postgres`, part of each test name. */
  name: string;
  /** Ignore every case (the backend is unavailable for an accepted reason). */
  ignore?: boolean;
  fresh(): Promise<ConformanceFixture>;
}

/** Register every case for `target`. */
export function stateConformance(target: ConformanceTarget): void {
  for (const [title, fn] of _CASES) {
    Deno.test({ name: `[${target.name}] ${title}`, ignore: target.ignore }, async () => {
      await using fx = await target.fresh();
      await fn(fx);
    });
  }
}

type _Case = readonly [string, (fx: ConformanceFixture) => Promise<void>];

const _begin = (s: StateBackend, runId: string, flowId = "f") =>
  s.beginRun({ runId, flowId, flowYaml: "f.yaml", version: "0", host: "h", pid: 1 });

/** A pid that existed and is gone (spawned, exited, reaped). */
async function _deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

async function _leaseRow(fx: ConformanceFixture, runId: string) {
  return (await fx.rows("locks")).find((r) => r.key === `run:${runId}`);
}

/** Poll `done` on later macrotasks; fail after a generous deadline (a safety net, not a timing assertion). */
async function _until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const _CASES: readonly _Case[] = [
  [
    "setStepStatuses (where a backend has it) writes the rows of one setStepStatus each, in order",
    async (fx) => {
      const store = await fx.open({ mask: (t) => t.replaceAll("hunter2", "***") });
      // The SQLite store has none (each of its writes is local): the runner then writes row by row.
      if (!store.setStepStatuses) return;
      await store.setStepStatuses([]);
      await store.setStepStatus("j", "r", "old", "SUCCESS");
      await store.setStepStatuses([
        {
          jobId: "j",
          runId: "r",
          stepId: "a",
          status: "SUCCESS",
          output: { note: "pw hunter2" },
          promoted: { count: 1 },
          stepType: "check_items",
          inputs: { big: "x".repeat(INPUTS_MAX_BYTES) },
          startedAtMs: 1,
          endedAtMs: 2,
          definitionSha256: "ab12",
        },
        { jobId: "j", runId: "r", stepId: "b", status: "SKIPPED", output: { skipped: true } },
        { jobId: "j", runId: "r", stepId: "old", status: "FAILED" },
      ]);
      assert.deepEqual((await store.listStepRecords("r", "j")).map((s) => [s.stepId, s.status]), [
        ["a", "SUCCESS"],
        ["b", "SKIPPED"],
        ["old", "FAILED"],
      ]);
      const a = await store.getStepRecord("j", "r", "a");
      assert.deepEqual(a?.output, { note: "pw ***" });
      assert.deepEqual(a?.promoted, { count: 1 });
      assert.equal(a?.stepType, "check_items");
      assert.deepEqual([a?.startedAtMs, a?.endedAtMs, a?.definitionSha256], [1, 2, "ab12"]);
      assert.equal((await store.getStepRecord("j", "r", "b"))?.definitionSha256, null);
      assert.equal(a?.inputs?._truncated, true, "inputs bounded as setStepStatus bounds them");
      // The same key twice: written in order, the last one stays.
      await store.setStepStatuses([
        { jobId: "j", runId: "r", stepId: "c", status: "RUNNING" },
        { jobId: "j", runId: "r", stepId: "c", status: "SUCCESS" },
      ]);
      assert.equal((await store.getStepRecord("j", "r", "c"))?.status, "SUCCESS");
      const ro = await fx.open({ readOnly: true });
      await assert.rejects(
        Promise.resolve().then(() =>
          ro.setStepStatuses!([{ jobId: "j", runId: "r", stepId: "z", status: "x" }])
        ),
        { name: "StateError" },
      );
      await assert.rejects(
        Promise.resolve().then(() =>
          ro.setStepStatuses!([
            { jobId: "j", runId: "r", stepId: "z", status: "x" },
            { jobId: "j", runId: "r", stepId: "z", status: "y" },
          ])
        ),
        { name: "StateError" },
      );
    },
  ],
  ["job and step rows round-trip outputs for resume (D4)", async (fx) => {
    const w = await fx.open();
    await w.setJobStatus("j1", "r1", "RUNNING");
    await w.setStepStatus("j1", "r1", "s1", "SUCCESS", {
      output: { n: 3, list: [1, "two", null, { deep: true }], text: "é\u0000x" },
      promoted: { count: 3 },
    });
    await w.setStepStatus("j1", "r1", "s2", "SKIPPED", {
      output: { skipped: true, reason: "count(0) < min_count(1)" },
    });
    await w.setJobStatus("j1", "r1", "SKIPPED", {
      outputs: { count: 3 },
      skipReason: "count(0) < min_count(1)",
      skipTrigger: "step",
    });
    await w.close();
    const store = await fx.open();
    const now = await fx.nowSeconds();
    const job = await store.getJobRecord("j1", "r1");
    assert.ok(
      job !== null && Math.abs(job.updatedAt - now) <= 5,
      `updated_at from the backend clock: ${job}`,
    );
    assert.deepEqual({ ...job, updatedAt: 0 }, {
      jobId: "j1",
      runId: "r1",
      status: "SKIPPED",
      outputs: { count: 3 },
      skipReason: "count(0) < min_count(1)",
      skipTrigger: "step",
      error: null,
      updatedAt: 0,
      startedAtMs: null,
      endedAtMs: null,
    });
    const s1 = await store.getStepRecord("j1", "r1", "s1");
    assert.deepEqual(s1?.output, { n: 3, list: [1, "two", null, { deep: true }], text: "é\u0000x" });
    assert.deepEqual(s1?.promoted, { count: 3 });
    assert.equal(await store.getStepRecord("j1", "r1", "nope"), null);
    assert.equal(await store.getJobRecord("j1", "other"), null);
    assert.deepEqual((await store.listStepRecords("r1")).map((s) => [s.stepId, s.status]), [
      ["s1", "SUCCESS"],
      ["s2", "SKIPPED"],
    ]);
    assert.deepEqual(await store.listStepRecords("r1", "zz"), []);
    assert.equal((await store.listJobRecords("r1")).length, 1, "one row per (job, run)");
    // A rewritten row moves last, like a replaced SQLite row.
    await store.setStepStatus("j1", "r1", "s1", "FAILED");
    assert.deepEqual((await store.listStepRecords("r1", "j1")).map((s) => [s.stepId, s.status]), [
      ["s2", "SKIPPED"],
      ["s1", "FAILED"],
    ]);
  }],

  ["every text and JSON value is masked before it is written (D18)", async (fx) => {
    const store = await fx.open({ mask: (s) => s.replaceAll("hunter22", "***") });
    await store.setStepStatus("j", "r", "s", "SUCCESS", {
      output: { dsn: "user:hunter22@db", nested: ["x hunter22"], hunter22: 1 },
      promoted: { p: "hunter22" },
      inputs: { password: "hunter22" },
    });
    await store.setJobStatus("j", "r", "FAILED", {
      error: "login hunter22 refused",
      outputs: { o: "hunter22" },
    });
    await store.beginRun({
      runId: "r",
      flowId: "f",
      flowYaml: "pw: hunter22",
      version: "0.1.0",
      host: "h",
      pid: 1,
      bundle: { url: "https://u:hunter22@x" },
      env: { DB: "hunter22" },
      settings: { x: "hunter22" },
    });
    await store.finishRun("r", { status: "FAILED", exitCode: 1, error: "bad hunter22" });
    const dump = JSON.stringify([
      await fx.rows("step_runs"),
      await fx.rows("job_runs"),
      await fx.rows("runs"),
    ]);
    assert.ok(!dump.includes("hunter22"), dump);
    assert.ok(dump.includes("***"));
    assert.deepEqual((await store.getStepRecord("j", "r", "s"))?.output, {
      dsn: "user:***@db",
      nested: ["x ***"],
      "***": 1,
    });
    assert.equal((await store.getJobRecord("j", "r"))?.error, "login *** refused");
  }],

  ["beginRun() inserts, then counts invocations on resume; finishRun() closes it", async (fx) => {
    const store = await fx.open();
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
    const t0 = await fx.nowSeconds();
    const first = await store.beginRun(rec);
    assert.equal(first.status, "RUNNING");
    assert.equal(first.invocations, 1);
    assert.ok(Math.abs(first.startedAt - t0) <= 5, `${first.startedAt} vs ${t0}`);
    assert.deepEqual(first.plugins, rec.plugins);
    assert.deepEqual(first.bundle, rec.bundle);
    fx.advance(1000);
    await store.finishRun("r1", { status: "FAILED", exitCode: 1, error: "job a failed" });
    const done = (await store.getRun("r1"))!;
    assert.deepEqual([done.status, done.exitCode, done.error], ["FAILED", 1, "job a failed"]);
    assert.ok(done.endedAt! - done.startedAt >= 1000, "ended_at from the backend clock");
    fx.advance(1000);
    const again = await store.beginRun({ ...rec, pid: 8 });
    assert.deepEqual(
      [
        again.status,
        again.invocations,
        again.startedAt,
        again.endedAt,
        again.exitCode,
        again.error,
        again.pid,
      ],
      ["RUNNING", 2, first.startedAt, null, null, null, 8],
    );
    await store.finishRun("r1", { status: "SUCCESS", exitCode: 0 });
    fx.advance(1);
    await store.beginRun({ ...rec, runId: "r2", flowId: "g" });
    assert.deepEqual((await store.listRuns()).map((r) => r.runId), ["r2", "r1"]);
    assert.deepEqual((await store.listRuns({ limit: 1 })).map((r) => r.runId), ["r2"]);
    assert.deepEqual((await store.listRuns({ flowId: "f" })).map((r) => r.runId), ["r1"]);
    assert.equal(await store.getRun("nope"), null);
    await store.finishRun("nope", { status: "SUCCESS", exitCode: 0 });
    assert.equal(await store.getRun("nope"), null, "a missing record stays missing");
  }],

  [
    "run history: timings, step type, masked inputs, env and settings; a resume keeps the first start",
    async (fx) => {
      const store = await fx.open({ mask: (s) => s.replaceAll("pw1", "***") });
      const T0 = 1_700_000_000_000;
      await store.beginRun({
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
      await store.setJobStatus("j", "r", "RUNNING", { startedAtMs: T0 + 1 });
      await store.setStepStatus("j", "r", "s", "SUCCESS", {
        output: {},
        stepType: "check_items",
        inputs: { items: [1], dsn: "user:pw1@db" },
        startedAtMs: T0 + 2,
        endedAtMs: T0 + 5,
      });
      await store.setJobStatus("j", "r", "SUCCESS", { startedAtMs: T0 + 1, endedAtMs: T0 + 6 });
      fx.advance(7);
      await store.finishRun("r", { status: "SUCCESS", exitCode: 0 });
      const run = (await store.getRun("r"))!;
      assert.equal(run.startedAtMs, run.invokedAtMs);
      assert.ok(run.endedAtMs! - run.startedAtMs! >= 7000, `${run.endedAtMs} - ${run.startedAtMs}`);
      assert.ok(Math.abs(run.startedAtMs! - run.startedAt * 1000) < 1000);
      assert.deepEqual(run.env, { REGION: "eu", DB_PASSWORD: "***", UNSET: null });
      assert.deepEqual(run.settings, { log_level: "INFO" });
      assert.equal(run.workspaceRoot, "/ws");
      assert.equal(run.logPath, "/s.db.logs/r.jsonl");
      const step = (await store.getStepRecord("j", "r", "s"))!;
      assert.deepEqual(step.inputs, { items: [1], dsn: "user:***@db" });
      assert.equal(step.stepType, "check_items");
      assert.deepEqual([step.startedAtMs, step.endedAtMs], [T0 + 2, T0 + 5]);
      const job = (await store.getJobRecord("j", "r"))!;
      assert.deepEqual([job.startedAtMs, job.endedAtMs], [T0 + 1, T0 + 6]);
      fx.advance(100);
      await _begin(store, "r");
      const again = (await store.getRun("r"))!;
      assert.equal(again.startedAtMs, run.startedAtMs);
      assert.ok(again.invokedAtMs! - run.startedAtMs! >= 100_000);
      assert.equal(again.endedAtMs, null);
    },
  ],

  ["a step row keeps the digest of the definition that wrote it; a rewrite replaces it", async (fx) => {
    const store = await fx.open();
    const digest = "a".repeat(64);
    await store.setStepStatus("j", "r", "s", "SUCCESS", { output: {}, definitionSha256: digest });
    await store.setStepStatus("j", "r", "t", "SKIPPED", { output: {} });
    assert.equal((await store.getStepRecord("j", "r", "s"))!.definitionSha256, digest);
    assert.equal((await store.getStepRecord("j", "r", "t"))!.definitionSha256, null);
    await store.setStepStatus("j", "r", "s", "SUCCESS", { output: {}, definitionSha256: "b".repeat(64) });
    assert.deepEqual(
      (await store.listStepRecords("r")).map((rec) => [rec.stepId, rec.definitionSha256]),
      [["t", null], ["s", "b".repeat(64)]],
    );
  }],

  ["inputs larger than the bound are recorded as size and digest", async (fx) => {
    const store = await fx.open();
    await store.setStepStatus("j", "r", "s", "SUCCESS", { inputs: { text: "x".repeat(INPUTS_MAX_BYTES) } });
    const inputs = (await store.getStepRecord("j", "r", "s"))!.inputs!;
    assert.equal(inputs._truncated, true);
    assert.equal(typeof inputs.bytes, "number");
    assert.match(String(inputs.sha256), /^[0-9a-f]{64}$/);
    await store.setStepStatus("j", "r", "s2", "SUCCESS", { inputs: { text: "y".repeat(INPUTS_MAX_BYTES) } });
    assert.notEqual((await store.getStepRecord("j", "r", "s2"))!.inputs!.sha256, inputs.sha256);
  }],

  ["listRuns() filters by flow, status and start time, newest first", async (fx) => {
    const store = await fx.open();
    let since = 0;
    for (
      const [id, flow, status] of [["a", "f", "SUCCESS"], ["b", "g", "FAILED"], ["c", "f", "FAILED"]] as const
    ) {
      if (id === "b") since = await fx.nowSeconds();
      await _begin(store, id, flow);
      await store.finishRun(id, { status, exitCode: status === "SUCCESS" ? 0 : 1 });
      fx.advance(100);
    }
    const ids = async (o: Parameters<StateBackend["listRuns"]>[0]) =>
      (await store.listRuns(o)).map((r) => r.runId);
    assert.deepEqual(await ids({}), ["c", "b", "a"]);
    assert.deepEqual(await ids({ flowId: "f" }), ["c", "a"]);
    assert.deepEqual(await ids({ status: "FAILED" }), ["c", "b"]);
    assert.deepEqual(await ids({ sinceSeconds: since + 50 }), ["c"]);
    assert.deepEqual(await ids({ sinceSeconds: since - 50 }), ["c", "b"]);
    assert.deepEqual(await ids({ flowId: "f", status: "FAILED", limit: 5 }), ["c"]);
    assert.deepEqual(await ids({ limit: 1 }), ["c"]);
  }],

  ["deleteRun() removes every row of one run; orphan run ids are listed", async (fx) => {
    const store = await fx.open();
    await _begin(store, "keep");
    await _begin(store, "drop");
    for (const run of ["keep", "drop", "orphan"]) {
      await store.setJobStatus("j", run, "SUCCESS");
      await store.setStepStatus("j", run, "s", "SUCCESS");
    }
    const orphans = await store.listOrphanRunIds();
    assert.deepEqual(orphans.map((o) => o.runId), ["orphan"]);
    assert.ok(Math.abs(orphans[0]!.updatedAt - await fx.nowSeconds()) <= 5);
    assert.equal(await store.deleteRun("drop"), 3);
    assert.equal(await store.getRun("drop"), null);
    assert.deepEqual(await store.listJobRecords("drop"), []);
    assert.deepEqual(await store.listStepRecords("drop"), []);
    assert.equal((await store.listJobRecords("keep")).length, 1);
    assert.equal(await store.deleteRun("orphan"), 2);
    assert.deepEqual(await store.listOrphanRunIds(), []);
  }],

  ["acquireLock() fails fast on a held lock and is not re-entrant (D15)", async (fx) => {
    const a = await fx.open({ pid: 101, host: "h" });
    const b = await fx.open({ pid: 202, host: "h" });
    assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
    assert.equal(
      await a.acquireLock("k", { owner: "r1" }),
      false,
      "same owner, same process: not re-entrant",
    );
    assert.equal(await b.acquireLock("k", { owner: "r2" }), false);
    assert.equal(await b.acquireLock("other", { owner: "r2" }), true, "keys are independent");
    const row = (await fx.rows("locks")).find((r) => r.key === "k")!;
    assert.deepEqual([row.owner, row.host, Number(row.pid)], ["r1", "h", 101]);
    assert.ok(Math.abs(Number(row.expires_at) - 600 - await fx.nowSeconds()) <= 5, "default ttl 600 s");
  }],

  ["releaseLock() deletes only a row matching owner, host and pid", async (fx) => {
    const a = await fx.open({ pid: 101, host: "h" });
    const b = await fx.open({ pid: 202, host: "h" });
    const c = await fx.open({ pid: 101, host: "elsewhere" });
    assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
    assert.equal(await b.releaseLock("k", "r1"), false, "same owner, other pid");
    assert.equal(await c.releaseLock("k", "r1"), false, "same owner and pid, other host");
    assert.equal(await a.releaseLock("k", "r2"), false, "other owner");
    assert.equal(await a.releaseLock("missing", "r1"), false);
    assert.equal(await b.acquireLock("k", { owner: "r2" }), false, "still held");
    assert.equal(await a.releaseLock("k", "r1"), true);
    assert.equal(await a.releaseLock("k", "r1"), false, "already released");
    assert.equal(await b.acquireLock("k", { owner: "r2" }), true);
  }],

  [
    "acquireLock() takes over expired locks (the backend's clock), and the old holder cannot release them",
    async (fx) => {
      const a = await fx.open({ pid: 101, host: "h" });
      const b = await fx.open({ pid: 202, host: "other" });
      assert.equal(await a.acquireLock("k", { owner: "r1", ttlSeconds: 60 }), true);
      fx.advance(50);
      assert.equal(await b.acquireLock("k", { owner: "r2" }), false, "50 s into a 60 s lease");
      fx.advance(11);
      assert.equal(await b.acquireLock("k", { owner: "r2" }), true, "expired");
      assert.equal(await a.releaseLock("k", "r1"), false, "taken over");
      assert.equal(await a.acquireLock("k", { owner: "r1" }), false, "b still holds it");
    },
  ],

  ["acquireLock() with ttlSeconds 0 expires at once; expired locks of any key are cleared", async (fx) => {
    const a = await fx.open({ pid: 101, host: "h" });
    const b = await fx.open({ pid: 202, host: "h" });
    assert.equal(await a.acquireLock("k", { owner: "r1", ttlSeconds: 0 }), true);
    assert.equal(await b.acquireLock("k", { owner: "r2" }), true);
    assert.equal(await a.acquireLock("short", { owner: "r1", ttlSeconds: 10 }), true);
    fx.advance(20);
    assert.equal(await b.acquireLock("unrelated", { owner: "r2" }), true);
    assert.deepEqual((await fx.rows("locks")).map((r) => r.key).sort(), ["k", "unrelated"]);
  }],

  ["acquireLock() with waitSeconds retries until the holder releases", async (fx) => {
    const a = await fx.open({ pid: 101, host: "h", lockRetryMs: 5 });
    const b = await fx.open({ pid: 202, host: "h", lockRetryMs: 5 });
    assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
    let attempts = 0;
    let settled = false;
    // An hour's wait: only a retry after the release can end it within the test's deadline.
    const waiting = b.acquireLock("k", { owner: "r2", waitSeconds: 3600, onRetry: () => attempts++ })
      .finally(() => settled = true);
    await _until(() => attempts >= 3, "three failed attempts");
    assert.equal(settled, false, "still waiting while the lock is held");
    assert.equal(await a.releaseLock("k", "r1"), true);
    await _until(() => settled, "the waiter to take the released lock");
    assert.equal(await waiting, true);
  }],

  ["acquireLock() stops waiting when the wait elapses or the signal aborts", async (fx) => {
    const a = await fx.open({ pid: 101, host: "h", lockRetryMs: 5 });
    const b = await fx.open({ pid: 202, host: "h", lockRetryMs: 5 });
    assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
    assert.equal(await b.acquireLock("k", { owner: "r2", waitSeconds: 0.02 }), false);
    const ctl = new AbortController();
    const waiting = b.acquireLock("k", { owner: "r2", waitSeconds: 3600, signal: ctl.signal });
    ctl.abort();
    assert.equal(await waiting, false);
  }],

  [
    "releaseAllLocks() releases every with_lock lock of one owner in this process, not its run lease",
    async (fx) => {
      const a = await fx.open({ pid: 101, host: "h" });
      const b = await fx.open({ pid: 202, host: "h" });
      await a.acquireLock("k1", { owner: "r1" });
      await a.acquireLock("k2", { owner: "r1" });
      await b.acquireLock("k3", { owner: "r1" });
      const lease = await a.holdRunLease("r1", { renewEveryMs: 0 });
      assert.equal(await a.releaseAllLocks("r1"), 2);
      assert.equal(await a.acquireLock("k3", { owner: "r9" }), false, "the other process's lock stays");
      assert.equal((await _leaseRow(fx, "r1"))?.owner, "r1", "the run lease is released separately");
      await lease.release();
      assert.equal(await _leaseRow(fx, "r1"), undefined);
    },
  ],

  ["acquireLock() rejects a negative ttl or wait, and keys in the run-lease namespace", async (fx) => {
    const store = await fx.open({ host: "h", pid: 101 });
    await assert.rejects(store.acquireLock("k", { owner: "r", ttlSeconds: -1 }), { name: "StateError" });
    await assert.rejects(store.acquireLock("k", { owner: "r", waitSeconds: -1 }), { name: "StateError" });
    const lease = await store.holdRunLease("R", { renewEveryMs: 0 });
    await assert.rejects(store.acquireLock("run:R", { owner: "R" }), {
      name: "StateError",
      code: "state:reserved_lock_key",
    });
    await assert.rejects(store.acquireLock("run:other", { owner: "R" }), { code: "state:reserved_lock_key" });
    assert.equal(await store.acquireLock("RUN:R", { owner: "R" }), true, "the prefix is case-sensitive");
    assert.equal(
      await store.releaseLock("run:R", "R"),
      false,
      "the with_lock API never releases a run lease",
    );
    await lease.release();
  }],

  ["listLocks() tells live, dead and unknown holders; forceReleaseLock() refuses live ones", async (fx) => {
    const alive = (pid: number) => pid === 101;
    const live = await fx.open({ pid: 101, host: "h", processAlive: alive });
    const dead = await fx.open({ pid: 202, host: "h", processAlive: alive });
    const remote = await fx.open({ pid: 101, host: "other", processAlive: alive });
    assert.equal(await live.acquireLock("k-live", { owner: "r1" }), true);
    assert.equal(await dead.acquireLock("k-dead", { owner: "r2" }), true);
    assert.equal(await remote.acquireLock("k-remote", { owner: "r3", ttlSeconds: 5 }), true);
    const locks = await live.listLocks();
    assert.deepEqual(locks.map((l) => [l.key, l.owner, l.alive, l.expired]), [
      ["k-dead", "r2", false, false],
      ["k-live", "r1", true, false],
      ["k-remote", "r3", null, false],
    ]);
    fx.advance(10);
    assert.deepEqual((await live.listLocks()).map((l) => l.expired), [false, false, true]);
    assert.equal(await live.forceReleaseLock("missing"), null);
    const refused = (await live.forceReleaseLock("k-live"))!;
    assert.deepEqual([refused.released, refused.refused], [false, true]);
    const released = (await live.forceReleaseLock("k-dead"))!;
    assert.deepEqual([released.lock.key, released.released, released.refused], ["k-dead", true, false]);
    assert.equal((await live.forceReleaseLock("k-remote"))!.released, true, "another host: cannot tell");
    assert.equal((await live.forceReleaseLock("k-live", { force: true }))!.released, true);
    assert.deepEqual(await live.listLocks(), []);
  }],

  ["holdRunLease() refuses a run id held by a live invocation, naming its host and pid", async (fx) => {
    const a = await fx.open({ host: "h", pid: 101, processAlive: () => true });
    const b = await fx.open({ host: "h", pid: 202, processAlive: () => true });
    const lease = await a.holdRunLease("R", { renewEveryMs: 0 });
    await assert.rejects(Promise.resolve().then(() => b.holdRunLease("R", { renewEveryMs: 0 })), {
      name: "StateError",
      code: "state:run_busy",
      message: "Run R is already running (host h, pid 101); wait for it or stop it first",
    });
    await assert.rejects(
      Promise.resolve().then(() => a.holdRunLease("R", { renewEveryMs: 0 })),
      { code: "state:run_busy" },
      "not re-entrant",
    );
    const other = await b.holdRunLease("R2", { renewEveryMs: 0 });
    const row = (await _leaseRow(fx, "R"))!;
    assert.deepEqual([row.owner, row.host, Number(row.pid)], ["R", "h", 101]);
    assert.ok(Math.abs(Number(row.expires_at) - 60 - await fx.nowSeconds()) <= 5, "ttl 60 s");
    await lease.release();
    assert.equal(await _leaseRow(fx, "R"), undefined);
    const taken = await b.holdRunLease("R", { renewEveryMs: 0 });
    await taken.release();
    await other.release();
  }],

  ["holdRunLease() takes over at once a lease whose holder pid is gone on this host", async (fx) => {
    const a = await fx.open({ host: "h", pid: 101 });
    await a.holdRunLease("R", { renewEveryMs: 0 }); // never released: the holder "was SIGKILLed"
    const dead = new Set([101]);
    const b = await fx.open({ host: "h", pid: 202, processAlive: (pid) => !dead.has(pid) });
    const lease = await b.holdRunLease("R", { renewEveryMs: 0 });
    assert.equal(Number((await _leaseRow(fx, "R"))?.pid), 202);
    assert.equal(await a.releaseRunLease("R"), false, "the old holder cannot release the new holder's lease");
    await lease.release();
  }],

  [
    "holdRunLease() uses the real pid check: a dead pid is taken over, a live one is respected",
    async (fx) => {
      const sleeper = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
      try {
        const host = "this-host";
        const live = await fx.open({ host, pid: sleeper.pid });
        await live.holdRunLease("R", { renewEveryMs: 0 });
        const me = await fx.open({ host });
        await assert.rejects(Promise.resolve().then(() => me.holdRunLease("R", { renewEveryMs: 0 })), {
          code: "state:run_busy",
        });
        const dead = await fx.open({ host, pid: await _deadPid() });
        await dead.holdRunLease("R2", { renewEveryMs: 0 });
        const lease = await me.holdRunLease("R2", { renewEveryMs: 0 });
        assert.equal(Number((await _leaseRow(fx, "R2"))?.pid), Deno.pid);
        await lease.release();
      } finally {
        sleeper.kill("SIGKILL");
        await sleeper.status;
      }
    },
  ],

  [
    "holdRunLease() respects a lease from another host until the backend's clock passes its expiry",
    async (fx) => {
      const a = await fx.open({ host: "far", pid: 101 });
      await a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0 });
      // Another host's pid cannot be checked: dead-looking pids there must not matter.
      const b = await fx.open({ host: "near", pid: 202, processAlive: () => false });
      fx.advance(50);
      await assert.rejects(
        Promise.resolve().then(() => b.holdRunLease("R", { renewEveryMs: 0 })),
        /host far, pid 101/,
      );
      fx.advance(11);
      const lease = await b.holdRunLease("R", { renewEveryMs: 0 });
      assert.equal((await _leaseRow(fx, "R"))?.host, "near");
      await lease.release();
    },
  ],

  [
    "renew() keeps a long run's lease; a lease that expired and was taken over is reported lost once",
    async (fx) => {
      const a = await fx.open({ host: "far", pid: 101 });
      const b = await fx.open({ host: "near", pid: 202 });
      let lost = 0;
      const lease = await a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0, onLost: () => lost++ });
      for (let i = 0; i < 4; i++) {
        fx.advance(40); // 160 s in all, renewed every 40 s of a 60 s lease
        assert.equal(await lease.renew(), true);
        await assert.rejects(Promise.resolve().then(() => b.holdRunLease("R", { renewEveryMs: 0 })), {
          code: "state:run_busy",
        });
      }
      fx.advance(70); // a stalled holder: not renewed in time
      const taken = await b.holdRunLease("R", { renewEveryMs: 0 });
      assert.equal(await lease.renew(), false);
      assert.equal(await lease.renew(), false);
      assert.equal(lease.lost, true);
      assert.equal(lost, 1, "reported once");
      await lease.release();
      assert.equal(
        (await _leaseRow(fx, "R"))?.host,
        "near",
        "releasing a lost lease leaves the new holder's row",
      );
      await taken.release();
    },
  ],

  ["renew() re-takes a lease whose row was cleared after expiry when nobody else took it", async (fx) => {
    const a = await fx.open({ host: "h", pid: 101 });
    const b = await fx.open({ host: "h", pid: 202 });
    const lease = await a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0 });
    fx.advance(70);
    assert.equal(await b.acquireLock("other", { owner: "X" }), true, "any acquire clears expired rows");
    assert.equal(await _leaseRow(fx, "R"), undefined);
    assert.equal(await lease.renew(), true);
    assert.equal(Number((await _leaseRow(fx, "R"))?.pid), 101);
    await lease.release();
  }],

  ["the renewal timer extends the lease, and release() stops it", async (fx) => {
    const a = await fx.open({ host: "h", pid: 101 });
    const lease = await a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 5 });
    const first = Number((await _leaseRow(fx, "R"))?.expires_at);
    fx.advance(3600);
    await _until(
      async () => Number((await _leaseRow(fx, "R"))?.expires_at) >= first + 3600,
      "a timer renewal",
    );
    await lease.release();
    await lease.release(); // idempotent
    assert.equal(await _leaseRow(fx, "R"), undefined);
    // Deno's test sanitizer fails this test if the interval were still pending.
  }],

  ["a scheduler fire is claimed once per <item>-<slot>, and one item runs one slot at a time", async (fx) => {
    const a = await fx.open({ host: "h1", pid: 101 });
    const b = await fx.open({ host: "h2", pid: 202 });
    const claim = { itemId: "it", slotMs: 1_000_000, runId: "it-1", ttlSeconds: 60 };
    const first = await a.claimFire(claim);
    assert.equal(first.kind, "claimed");
    assert.deepEqual(
      [first.fire.host, first.fire.pid, first.fire.attempts, first.fire.finishedAt, first.fire.runId],
      ["h1", 101, 1, null, "it-1"],
    );
    const again = await b.claimFire(claim);
    assert.deepEqual([again.kind, again.fire.host], ["taken", "h1"]);
    const next = await b.claimFire({ ...claim, slotMs: 2_000_000, runId: "it-2" });
    assert.deepEqual(
      [next.kind, next.fire.slotMs],
      ["overlap", 1_000_000],
      "the item's previous slot still runs",
    );
    assert.equal((await b.claimFire({ ...claim, itemId: "other" })).kind, "claimed", "items are independent");
    assert.equal(await b.finishFire("it", 1_000_000, 0), false, "only the holder finishes its claim");
    assert.equal(await b.renewFire("it", 1_000_000, 60), false, "only the holder renews its claim");
    assert.equal(await a.renewFire("it", 1_000_000, 60), true);
    assert.equal(await a.finishFire("it", 1_000_000, 3), true);
    assert.equal(await a.finishFire("it", 1_000_000, 0), false, "finished once");
    assert.equal((await b.claimFire({ ...claim, slotMs: 2_000_000, runId: "it-2" })).kind, "claimed");
    const fires = await a.listFires({ itemId: "it" });
    assert.deepEqual(fires.map((f) => [f.slotMs, f.host, f.exitCode, f.finishedAt !== null]), [
      [1_000_000, "h1", 3, true],
      [2_000_000, "h2", null, false],
    ]);
    assert.deepEqual((await a.listFires({ unfinished: true })).map((f) => f.itemId).sort(), ["it", "other"]);
  }],

  [
    "an abandoned fire is taken over after its claim expires, unless its run still holds its lease",
    async (fx) => {
      const a = await fx.open({ host: "h1", pid: 101 });
      const b = await fx.open({ host: "h2", pid: 202 });
      const run = await fx.open({ host: "h1", pid: 303 });
      const claim = { itemId: "it", slotMs: 1_000_000, runId: "it-1", ttlSeconds: 60 };
      assert.equal((await a.claimFire(claim)).kind, "claimed");
      assert.equal((await a.claimFire({ ...claim, itemId: "x", runId: "x-1" })).kind, "claimed");
      const runLease = await run.holdRunLease("it-1", { ttlSeconds: 120, renewEveryMs: 0 });
      const takeover = { itemIds: ["it", "x"], ttlSeconds: 60 };
      assert.equal(await b.takeOverFire(takeover), null, "claims are fresh");
      fx.advance(70);
      const x = await b.takeOverFire(takeover);
      assert.deepEqual(
        [x?.itemId, x?.host, x?.pid, x?.attempts],
        ["x", "h2", 202, 2],
        "x's run holds no lease",
      );
      assert.equal(await b.takeOverFire(takeover), null, "it-1's run still holds its lease");
      assert.equal(await b.takeOverFire({ itemIds: [], ttlSeconds: 60 }), null);
      await runLease.release();
      assert.equal(await b.takeOverFire({ itemIds: ["x"], ttlSeconds: 60 }), null, "other items only");
      const it = await b.takeOverFire(takeover);
      assert.deepEqual([it?.itemId, it?.host, it?.attempts], ["it", "h2", 2]);
      assert.equal(await a.renewFire("it", 1_000_000, 60), false, "the old holder lost its claim");
      assert.equal(await a.finishFire("it", 1_000_000, 0), false);
      assert.equal(await b.releaseFire("it", 1_000_000), true, "given up unfinished: takeable at once");
      const back = await a.takeOverFire(takeover);
      assert.deepEqual([back?.itemId, back?.host, back?.attempts], ["it", "h1", 3]);
      assert.equal(await a.finishFire("it", 1_000_000, 0), true);
      fx.advance(1000);
      assert.equal(await b.takeOverFire({ itemIds: ["it"], ttlSeconds: 60 }), null, "finished fires stay");
    },
  ],

  ["concurrent claims of one slot from several processes: exactly one wins", async (fx) => {
    const stores = await Promise.all([1, 2, 3, 4].map((i) => fx.open({ host: `h${i}`, pid: i })));
    for (let slot = 0; slot < 5; slot++) {
      const results = await Promise.all(
        stores.map((s) => s.claimFire({ itemId: "it", slotMs: slot, runId: `it-${slot}`, ttlSeconds: 60 })),
      );
      assert.equal(results.filter((r) => r.kind === "claimed").length, 1, JSON.stringify(results));
      const winner = stores[results.findIndex((r) => r.kind === "claimed")]!;
      assert.equal(await winner.finishFire("it", slot, 0), true);
    }
  }],

  [
    "a step's process group is recorded with this host and pid, replaced per step, listed and cleared",
    async (fx) => {
      const a = await fx.open({ host: "h1", pid: 101 });
      const b = await fx.open({ host: "h2", pid: 202 });
      assert.deepEqual(await a.listProcessGroups("R"), []);
      const group = {
        runId: "R",
        jobId: "j",
        stepId: "s",
        pgid: 4242,
        startTicks: 987_654_321_012,
        graceMs: 10_000,
      };
      await a.recordProcessGroup({ ...group, bootId: "boot-1" });
      await a.recordProcessGroup({ ...group, stepId: "t", pgid: 4343, startTicks: null, bootId: null });
      await b.recordProcessGroup({ ...group, runId: "other", pgid: 1, bootId: null });
      const now = await fx.nowSeconds();
      const listed = await b.listProcessGroups("R");
      assert.deepEqual(
        listed.map((
          g,
        ) => [g.jobId, g.stepId, g.host, g.pgid, g.startTicks, g.bootId, g.runnerPid, g.graceMs]),
        [["j", "s", "h1", 4242, 987_654_321_012, "boot-1", 101, 10_000], [
          "j",
          "t",
          "h1",
          4343,
          null,
          null,
          101,
          10_000,
        ]],
        "every backend reads what another wrote, oldest first",
      );
      for (const g of listed) {
        assert.ok(
          Math.abs(g.startedAtMs / 1000 - now) < 120,
          `started_at_ms ${g.startedAtMs} is the backend's now`,
        );
      }
      // A retry of the step replaces its row (one group per step at a time).
      await b.recordProcessGroup({ ...group, pgid: 5000, bootId: "boot-1" });
      const replaced = (await a.listProcessGroups("R")).map((g) => [g.stepId, g.pgid, g.host, g.runnerPid]);
      assert.deepEqual(replaced.sort(), [["s", 5000, "h2", 202], ["t", 4343, "h1", 101]]);
      assert.equal(
        await a.clearProcessGroup({ runId: "R", jobId: "j", stepId: "s", pgid: 4242 }),
        false,
        "stale pgid",
      );
      assert.equal(await a.clearProcessGroup({ runId: "R", jobId: "j", stepId: "s", pgid: 5000 }), true);
      assert.equal(
        await a.clearProcessGroup({ runId: "R", jobId: "j", stepId: "s", pgid: 5000 }),
        false,
        "once",
      );
      assert.deepEqual((await a.listProcessGroups("R")).map((g) => g.stepId), ["t"]);
      assert.deepEqual((await a.listProcessGroups("other")).map((g) => g.pgid), [1]);
      const ro = await fx.open({ readOnly: true });
      assert.deepEqual((await ro.listProcessGroups("R")).map((g) => g.pgid), [4343]);
      await assert.rejects(Promise.resolve().then(() => ro.recordProcessGroup({ ...group, bootId: null })), {
        name: "StateError",
      });
    },
  ],

  ["operations after close() are StateErrors", async (fx) => {
    const store = await fx.open();
    await store.close();
    await store.close();
    await assert.rejects(Promise.resolve().then(() => store.getRun("r")), { name: "StateError" });
  }],

  ["a read-only backend reads rows and refuses writes with a StateError naming the location", async (fx) => {
    const rw = await fx.open();
    await rw.setJobStatus("j", "r", "SUCCESS");
    const ro = await fx.open({ readOnly: true });
    assert.equal((await ro.getJobRecord("j", "r"))?.status, "SUCCESS");
    await assert.rejects(
      Promise.resolve().then(() => ro.setJobStatus("j", "r", "FAILED")),
      (err: unknown) => {
        assert.ok(err instanceof Error && err.name === "StateError");
        assert.ok(err.message.includes(ro.path), err.message);
        return true;
      },
    );
  }],
];
