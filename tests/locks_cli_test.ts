// `aetherflow locks list|release` through the real CLI: a lock held by a live process is refused without
// --force; a dead holder's lock is released; unknown keys exit 2.
import assert from "node:assert/strict";
import { join } from "node:path";
import { StateStore } from "../engine/state/mod.ts";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

Deno.test("locks list shows holders and liveness; release refuses a live holder unless --force", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n",
  );
  const db = join(dir.path, "state.sqlite");
  // A real live process on this host holds one lock; a finished one held another.
  const live = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
  const dead = new Deno.Command("true").spawn();
  const deadPid = dead.pid;
  await dead.status;
  try {
    const host = Deno.hostname();
    {
      using a = StateStore.open(db, { host, pid: live.pid });
      assert.equal(await a.acquireLock("export", { owner: "run-live" }), true);
      using b = StateStore.open(db, { host, pid: deadPid });
      assert.equal(await b.acquireLock("import", { owner: "run-dead" }), true);
      using c = StateStore.open(db, { host: "elsewhere", pid: 7 });
      assert.equal(await c.acquireLock("remote", { owner: "run-remote" }), true);
    }
    const listed = await runCli(["locks", "list", flow, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const doc = JSON.parse(listed.stdout);
    assert.equal(doc.ok, true);
    assert.deepEqual(
      doc.locks.map((l: Record<string, unknown>) => [l.key, l.owner, l.pid, l.alive, l.expired, l.run_lease]),
      [
        ["export", "run-live", live.pid, true, false, false],
        ["import", "run-dead", deadPid, false, false, false],
        ["remote", "run-remote", 7, null, false, false],
      ],
    );
    assert.match(doc.locks[0].expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(doc.locks[0].expires_at_ms, Date.parse(doc.locks[0].expires_at));
    const text = await runCli(["locks", "list", "--db", db]);
    assert.match(text.stdout, /^KEY\s+OWNER\s+HOST\s+PID\s+EXPIRES\s+ALIVE$/m);
    assert.match(text.stdout, new RegExp(`^export\\s+run-live\\s+\\S+\\s+${live.pid}\\s+\\S+\\s+yes$`, "m"));
    assert.match(text.stdout, /^remote\s+run-remote\s+elsewhere\s+7\s+\S+\s+unknown$/m);

    const refused = await runCli(["locks", "release", "export", flow]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /Lock "export" is held by a live process \(owner run-live, .*pid \d+\); stop it first, or use --force/,
    );
    const refusedJson = await runCli(["locks", "release", "export", flow, "--json"]);
    assert.equal(JSON.parse(refusedJson.stdout).errors[0].code, "locks:holder_alive");

    const freed = await runCli(["locks", "release", "import", flow, "--json"]);
    assert.equal(freed.code, 0, freed.stderr);
    assert.equal(JSON.parse(freed.stdout).released.key, "import");
    const forced = await runCli(["locks", "release", "export", "--db", db, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^released export \(owner run-live, .* alive yes\)$/m);

    const unknown = await runCli(["locks", "release", "nope", flow]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown lock key: "nope"/);
    const after = JSON.parse((await runCli(["locks", "list", flow, "--json"])).stdout);
    assert.deepEqual(after.locks.map((l: { key: string }) => l.key), ["remote"]);
  } finally {
    live.kill("SIGKILL");
    await live.status;
  }
});

Deno.test("locks list shows a running run's lease as a run lease", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "s.db");
  {
    using store = StateStore.open(db);
    store.holdRunLease("R", { renewEveryMs: 0 }); // this (test) process is alive
  }
  const r = await runCli(["locks", "list", "--db", db, "--json"]);
  const [lease] = JSON.parse(r.stdout).locks;
  assert.deepEqual([lease.key, lease.owner, lease.run_lease, lease.alive], ["run:R", "R", true, true]);
});
