import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type RunLease, StateStore } from "./mod.ts";
import { tempDir } from "./_test_util.ts";

const _T0 = 1_000_000_000;

function _leaseRow(path: string, runId: string): Record<string, unknown> | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare("SELECT owner, host, pid, expires_at FROM locks WHERE key = ?").get(
      `run:${runId}`,
    );
    return row ? { ...row } : undefined;
  } finally {
    db.close();
  }
}

/** A pid that existed and is gone (spawned, exited, reaped). */
async function _deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("holdRunLease() refuses a run id held by a live invocation, naming its host and pid", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  const now = () => _T0 * 1000;
  using a = StateStore.open(path, { now, host: "h", pid: 101, processAlive: () => true });
  using b = StateStore.open(path, { now, host: "h", pid: 202, processAlive: () => true });
  using lease = a.holdRunLease("R", { renewEveryMs: 0 });
  assert.throws(() => b.holdRunLease("R", { renewEveryMs: 0 }), {
    name: "StateError",
    code: "state:run_busy",
    message: "Run R is already running (host h, pid 101); wait for it or stop it first",
  });
  assert.throws(() => a.holdRunLease("R", { renewEveryMs: 0 }), { code: "state:run_busy" }, "not re-entrant");
  using _other = b.holdRunLease("R2", { renewEveryMs: 0 });
  assert.deepEqual(_leaseRow(path, "R"), { owner: "R", host: "h", pid: 101, expires_at: _T0 + 60 });
  lease.release();
  assert.equal(_leaseRow(path, "R"), undefined);
  using _b = b.holdRunLease("R", { renewEveryMs: 0 });
});

Deno.test("holdRunLease() takes over at once a lease whose holder pid is gone on this host", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  const now = () => _T0 * 1000;
  using a = StateStore.open(path, { now, host: "h", pid: 101 });
  a.holdRunLease("R", { renewEveryMs: 0 }); // never released: the holder "was SIGKILLed"
  const dead = new Set([101]);
  using b = StateStore.open(path, { now, host: "h", pid: 202, processAlive: (pid) => !dead.has(pid) });
  using _lease = b.holdRunLease("R", { renewEveryMs: 0 });
  assert.equal(_leaseRow(path, "R")?.pid, 202);
  assert.equal(a.releaseRunLease("R"), false, "the old holder cannot release the new holder's lease");
});

Deno.test("holdRunLease() uses the real pid check: a dead pid is taken over, a live one is respected", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  const sleeper = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
  try {
    const now = () => _T0 * 1000;
    const host = "this-host";
    using live = StateStore.open(path, { now, host, pid: sleeper.pid });
    live.holdRunLease("R", { renewEveryMs: 0 });
    using me = StateStore.open(path, { now, host });
    assert.throws(() => me.holdRunLease("R", { renewEveryMs: 0 }), { code: "state:run_busy" });
    using dead = StateStore.open(path, { now, host, pid: await _deadPid() });
    dead.holdRunLease("R2", { renewEveryMs: 0 });
    using _l2 = me.holdRunLease("R2", { renewEveryMs: 0 });
    assert.equal(_leaseRow(path, "R2")?.pid, Deno.pid);
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

Deno.test("holdRunLease() respects a lease from another host until it expires", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  let now = _T0 * 1000;
  using a = StateStore.open(path, { now: () => now, host: "far", pid: 101 });
  a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0 });
  // Another host's pid cannot be checked: dead-looking pids there must not matter.
  using b = StateStore.open(path, { now: () => now, host: "near", pid: 202, processAlive: () => false });
  now += 59_999;
  assert.throws(() => b.holdRunLease("R", { renewEveryMs: 0 }), /host far, pid 101/);
  now += 1;
  using _lease = b.holdRunLease("R", { renewEveryMs: 0 });
  assert.equal(_leaseRow(path, "R")?.host, "near");
});

Deno.test("renew() keeps a long run's lease; a lease that expired and was taken over is reported lost", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  let now = _T0 * 1000;
  using a = StateStore.open(path, { now: () => now, host: "far", pid: 101 });
  using b = StateStore.open(path, { now: () => now, host: "near", pid: 202 });
  let lost = 0;
  using lease = a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0, onLost: () => lost++ });
  for (let i = 0; i < 10; i++) {
    now += 50_000; // 500 s in all, renewed every 50 s of a 60 s lease
    assert.equal(lease.renew(), true);
    assert.throws(() => b.holdRunLease("R", { renewEveryMs: 0 }), { code: "state:run_busy" });
  }
  assert.equal(_leaseRow(path, "R")?.expires_at, _T0 + 500 + 60);
  now += 60_000; // a stalled holder: not renewed in time
  using _taken = b.holdRunLease("R", { renewEveryMs: 0 });
  assert.equal(lease.renew(), false);
  assert.equal(lease.renew(), false);
  assert.equal(lease.lost, true);
  assert.equal(lost, 1, "reported once");
  lease.release();
  assert.equal(_leaseRow(path, "R")?.host, "near", "releasing a lost lease leaves the new holder's row");
});

Deno.test("renew() re-takes a lease whose row was cleared after expiry when nobody else took it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  let now = _T0 * 1000;
  using a = StateStore.open(path, { now: () => now, host: "h", pid: 101 });
  using b = StateStore.open(path, { now: () => now, host: "h", pid: 202 });
  using lease = a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0 });
  now += 61_000;
  assert.equal(await b.acquireLock("other", { owner: "X" }), true, "any acquire clears expired rows");
  assert.equal(_leaseRow(path, "R"), undefined);
  assert.equal(lease.renew(), true);
  assert.equal(_leaseRow(path, "R")?.pid, 101);
});

Deno.test("the renewal timer extends the lease, and release() stops it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  let now = _T0 * 1000;
  using a = StateStore.open(path, { now: () => now, host: "h", pid: 101 });
  const lease: RunLease = a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 5 });
  now += 3_600_000;
  const deadline = Date.now() + 10_000;
  while (_leaseRow(path, "R")?.expires_at !== _T0 + 3600 + 60 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(_leaseRow(path, "R")?.expires_at, _T0 + 3600 + 60, "renewed by the timer");
  lease.release();
  lease.release(); // idempotent
  assert.equal(_leaseRow(path, "R"), undefined);
  // Deno's test sanitizer fails this test if the interval were still pending.
});

Deno.test("with_lock keys cannot enter the run:<id> namespace; releaseAllLocks() leaves the run lease", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  using a = StateStore.open(path, { host: "h", pid: 101 });
  using _lease = a.holdRunLease("R", { renewEveryMs: 0 });
  await assert.rejects(a.acquireLock("run:R", { owner: "R" }), {
    name: "StateError",
    code: "state:reserved_lock_key",
  });
  await assert.rejects(a.acquireLock("run:other", { owner: "R" }), { code: "state:reserved_lock_key" });
  assert.equal(await a.acquireLock("RUN:R", { owner: "R" }), true, "the prefix is case-sensitive");
  assert.equal(await a.acquireLock("warehouse", { owner: "R" }), true);
  assert.equal(a.releaseLock("run:R", "R"), false, "the with_lock API never releases a run lease");
  assert.equal(a.releaseAllLocks("R"), 2);
  assert.equal(_leaseRow(path, "R")?.owner, "R", "the run lease is released separately");
  assert.equal(a.releaseRunLease("R"), true);
});
