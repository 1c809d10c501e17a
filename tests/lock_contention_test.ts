// Issue requirement: 8 OS processes contend on one key of one real SQLite file — and, as 8 hosts, of one
// PostgreSQL state, also while random holders are killed with SIGKILL; never two inside at once.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { StateStore } from "../engine/state/mod.ts";
import { tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();

const WORKER = fileURLToPath(new URL("../testdata/state/lock_worker.ts", import.meta.url));

function _spawn(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", WORKER, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function _result(child: Deno.ChildProcess): Promise<{ code: number; out: string }> {
  const o = await child.output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test("acquireLock() admits one of 8 contending processes at a time", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  StateStore.open(db).close(); // migrate once up front; workers only contend on the lock
  const marker = `${dir.path}/inside.marker`;
  const iterations = 5;
  const children = Array.from({ length: 8 }, () => _spawn([db, "shared-key", marker, String(iterations)]));
  const results = await Promise.all(children.map(_result));
  for (const r of results) assert.equal(r.code, 0, r.out);
  const total = results.reduce((n, r) => n + Number(/acquired (\d+)/.exec(r.out)?.[1] ?? 0), 0);
  assert.equal(total, 8 * iterations);
  using store = StateStore.open(db);
  assert.equal(await store.acquireLock("shared-key", { owner: "after" }), true, "every worker released");
});

Deno.test("lock worker detects a second holder (the contention test can fail)", async () => {
  await using dir = await tempDir();
  const db = `${dir.path}/state.db`;
  const marker = `${dir.path}/inside.marker`;
  await Deno.writeTextFile(marker, "someone else is inside");
  const r = await _result(_spawn([db, "k", marker, "1"]));
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /OVERLAP/);
});

Deno.test({
  name: "acquireLock() on PostgreSQL admits one of 8 hosts at a time, also while holders are SIGKILLed",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const marker = `${dir.path}/inside.marker`;
  const iterations = 5;
  // Each worker is a host of its own: a killed holder's lock is taken over only when its 3 s TTL expired.
  const children = Array.from(
    { length: 8 },
    (_, i) =>
      _spawn([db.url, "shared-key", marker, String(iterations), "3"], { AETHERFLOW_HOST_ID: `host-${i}` }),
  );
  // Kill two workers while they hold the lock (the marker file names the holder's pid).
  const killed = new Set<number>();
  const deadline = Date.now() + 60_000;
  while (killed.size < 2 && Date.now() < deadline) {
    const pid = Number(await Deno.readTextFile(marker).catch(() => "0"));
    const i = children.findIndex((c) => c.pid === pid);
    if (i >= 0 && !killed.has(i)) {
      children[i]!.kill("SIGKILL");
      killed.add(i);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(killed.size, 2, "no holder was caught inside the lock to kill");
  const results = await Promise.all(children.map(_result));
  const survivors = results.filter((_, i) => !killed.has(i));
  for (const r of survivors) assert.equal(r.code, 0, r.out);
  for (const r of results) assert.doesNotMatch(r.out, /OVERLAP/);
  const total = survivors.reduce((n, r) => n + Number(/acquired (\d+)/.exec(r.out)?.[1] ?? 0), 0);
  assert.equal(total, survivors.length * iterations);
});
