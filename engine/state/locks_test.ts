import assert from "node:assert/strict";
import { StateStore } from "./mod.ts";
import { tempDir } from "./_test_util.ts";

// Two stores on one file with different pids stand in for two processes on one host.
function _pair(path: string, now: () => number) {
  return [
    StateStore.open(path, { now, pid: 101, host: "h", lockRetryMs: 5 }),
    StateStore.open(path, { now, pid: 202, host: "h", lockRetryMs: 5 }),
  ] as const;
}

Deno.test("acquireLock() fails fast on a held lock and is not re-entrant (D15)", async () => {
  await using dir = await tempDir();
  const [a, b] = _pair(`${dir.path}/s.db`, () => 1_000_000);
  using _a = a;
  using _b = b;
  assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
  assert.equal(await a.acquireLock("k", { owner: "r1" }), false, "same owner, same process: not re-entrant");
  assert.equal(await b.acquireLock("k", { owner: "r2" }), false);
  assert.equal(await b.acquireLock("other", { owner: "r2" }), true, "keys are independent");
});

Deno.test("releaseLock() deletes only a row matching owner, host and pid", async () => {
  await using dir = await tempDir();
  const [a, b] = _pair(`${dir.path}/s.db`, () => 1_000_000);
  using _a = a;
  using _b = b;
  assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
  assert.equal(b.releaseLock("k", "r1"), false, "same owner, other pid");
  assert.equal(a.releaseLock("k", "r2"), false, "other owner");
  assert.equal(a.releaseLock("missing", "r1"), false);
  assert.equal(await b.acquireLock("k", { owner: "r2" }), false, "still held");
  assert.equal(a.releaseLock("k", "r1"), true);
  assert.equal(a.releaseLock("k", "r1"), false, "already released");
  assert.equal(await b.acquireLock("k", { owner: "r2" }), true);
});

Deno.test("acquireLock() takes over expired locks, and the old holder cannot release them", async () => {
  await using dir = await tempDir();
  let now = 1_000_000;
  const [a, b] = _pair(`${dir.path}/s.db`, () => now);
  using _a = a;
  using _b = b;
  assert.equal(await a.acquireLock("k", { owner: "r1", ttlSeconds: 10 }), true);
  now += 9_999;
  assert.equal(await b.acquireLock("k", { owner: "r2" }), false, "9.999 s into a 10 s lease");
  now += 1;
  assert.equal(await b.acquireLock("k", { owner: "r2" }), true, "expires_at <= now is expired");
  assert.equal(a.releaseLock("k", "r1"), false, "taken over");
  assert.equal(await a.acquireLock("k", { owner: "r1" }), false, "b still holds it");
});

Deno.test("acquireLock() with ttlSeconds 0 expires at once", async () => {
  await using dir = await tempDir();
  const [a, b] = _pair(`${dir.path}/s.db`, () => 5_000);
  using _a = a;
  using _b = b;
  assert.equal(await a.acquireLock("k", { owner: "r1", ttlSeconds: 0 }), true);
  assert.equal(await b.acquireLock("k", { owner: "r2" }), true);
});

Deno.test("acquireLock() with waitSeconds retries until the holder releases", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.db`;
  // b's clock counts b's attempts (each one reads the time once), so the test can see the waiter retrying.
  let attempts = 0;
  using a = StateStore.open(path, { pid: 101, host: "h", lockRetryMs: 5 });
  using b = StateStore.open(path, {
    now: () => (attempts++, Date.now()),
    pid: 202,
    host: "h",
    lockRetryMs: 5,
  });
  assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
  attempts = 0;
  let settled = false;
  // An hour's wait: only a retry after the release can end it within the test's deadline.
  const waiting = b.acquireLock("k", { owner: "r2", waitSeconds: 3600 }).finally(() => settled = true);
  await _until(() => attempts >= 3, "three failed attempts");
  assert.equal(settled, false, "still waiting while the lock is held");
  assert.equal(a.releaseLock("k", "r1"), true);
  await _until(() => settled, "the waiter to take the released lock");
  assert.equal(await waiting, true);
});

/** Poll `done` on later macrotasks; fail after a generous deadline (a safety net, not a timing assertion). */
async function _until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("acquireLock() stops waiting when the wait elapses or the signal aborts", async () => {
  await using dir = await tempDir();
  const [a, b] = _pair(`${dir.path}/s.db`, Date.now);
  using _a = a;
  using _b = b;
  assert.equal(await a.acquireLock("k", { owner: "r1" }), true);
  assert.equal(await b.acquireLock("k", { owner: "r2", waitSeconds: 0.02 }), false);
  const ctl = new AbortController();
  const waiting = b.acquireLock("k", { owner: "r2", waitSeconds: 3600, signal: ctl.signal });
  ctl.abort();
  assert.equal(await waiting, false);
});

Deno.test("releaseAllLocks() releases every lock of one owner in this process", async () => {
  await using dir = await tempDir();
  const [a, b] = _pair(`${dir.path}/s.db`, Date.now);
  using _a = a;
  using _b = b;
  await a.acquireLock("k1", { owner: "r1" });
  await a.acquireLock("k2", { owner: "r1" });
  await b.acquireLock("k3", { owner: "r1" });
  assert.equal(a.releaseAllLocks("r1"), 2);
  assert.equal(await a.acquireLock("k3", { owner: "r9" }), false, "the other process's lock stays");
});

Deno.test("acquireLock() rejects a negative ttl or wait", async () => {
  await using dir = await tempDir();
  using store = StateStore.open(`${dir.path}/s.db`);
  await assert.rejects(store.acquireLock("k", { owner: "r", ttlSeconds: -1 }), { name: "StateError" });
  await assert.rejects(store.acquireLock("k", { owner: "r", waitSeconds: -1 }), { name: "StateError" });
});
