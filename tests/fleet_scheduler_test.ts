// `schedule run` on several hosts against one PostgreSQL state (docs/fleet.md "Exactly once"): three scheduler
// processes with distinct host ids share one fast clock; every slot is claimed in `schedule_fires` before it
// runs. Over >= 200 slots: no slot runs twice, no slot between the first and the last is lost, every run ends.
// A claim whose scheduler died is taken over and its run resumed by run id; and a host running real flows is
// SIGKILLed with its runs mid-way: the others resume them after the lease expires, none lost or run twice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();
const _ITEMS = 8;
const _SLOTS = 200;
const _SCALE = 30; // one cron minute every 2 s
const _START = Date.parse("2031-01-06T00:00:00Z");

interface _Host {
  id: string;
  child: Deno.ChildProcess;
  stderr: Promise<string>;
}

interface _HostOptions {
  /** Fast-clock factor (default `_SCALE`). */
  scale?: number;
  /** Run the real `aetherflow run` for each fire instead of the fired.log stand-in. */
  realRuns?: boolean;
  leaseSeconds?: number;
  env?: Record<string, string>;
}

function _startHost(id: string, dir: string, url: string, t0: number, options: _HostOptions = {}): _Host {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      MAIN,
      "schedule",
      "run",
      join(dir, "scheduler.yaml"),
      "--state",
      url,
    ],
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
      AETHERFLOW_HOST_ID: id,
      AETHERFLOW_LEASE_SECONDS: String(options.leaseSeconds ?? 5),
      AETHERFLOW_SCHEDULER_TIME_SCALE: String(options.scale ?? _SCALE),
      AETHERFLOW_SCHEDULER_START: new Date(_START).toISOString(),
      AETHERFLOW_SCHEDULER_T0: String(t0),
      // Each fire is a real child process that appends "<host> <argv>" to fired.log.
      ...(options.realRuns ? {} : {
        AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify([
          "/bin/sh",
          "-c",
          'echo "$AETHERFLOW_HOST_ID $*" >> fired.log',
          "sh",
        ]),
      }),
      ...options.env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  return { id, child, stderr };
}

async function _stop(hosts: _Host[]): Promise<string[]> {
  for (const h of hosts) {
    try {
      h.child.kill("SIGTERM");
    } catch { /* gone */ }
  }
  await Promise.all(hosts.map((h) => h.child.status));
  return await Promise.all(hosts.map((h) => h.stderr));
}

async function _query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return [...await sql.unsafe(text)].map((r) => ({ ...r }));
  } finally {
    await sql.end();
  }
}

/** Poll `check` about every 500 ms until it is true or `seconds` pass. */
async function _until(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return await check();
}

function _firedRunIds(text: string): { host: string; runId: string }[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const words = l.split(" ");
    return { host: words[0]!, runId: words[words.indexOf("--run-id") + 1]! };
  });
}

function _guard(dir: string, url: string, host: string): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      MAIN,
      "schedule",
      "fire",
      "--item",
      "hourly",
      "--cron",
      "* * * * *",
      "--tz",
      "UTC",
      "--lock-dir",
      join(dir, `locks-${host}`),
      "--",
      "run",
      "--flow-yaml",
      "f.yaml",
    ],
    cwd: dir,
    env: {
      AETHERFLOW_HOST_ID: host,
      AETHERFLOW_STATE_URL: url,
      TRIGGER_UNIT: "aetherflow-hourly.timer",
      AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify([
        "/bin/sh",
        "-c",
        'echo "$AETHERFLOW_HOST_ID $*" >> fired.log',
        "sh",
      ]),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test({
  name: "three schedulers sharing one PostgreSQL fire each of >= 200 slots exactly once, none lost",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const items = Array.from(
    { length: _ITEMS },
    (_, i) => `  - {id: item${i}, cron: "* * * * *", flow_yaml: f.yaml}`,
  );
  await Deno.writeTextFile(
    join(dir.path, "scheduler.yaml"),
    `version: 1\ntimezone: UTC\nitems:\n${items.join("\n")}\n`,
  );
  const t0 = Date.now() + 3000;
  const hosts = ["host-a", "host-b", "host-c"].map((id) => _startHost(id, dir.path, db.url, t0));
  let logs: string[] = [];
  try {
    const enough = await _until(300, async () => {
      const rows = await _query(
        db.url,
        "SELECT count(*)::int AS n FROM schedule_fires WHERE finished_at IS NOT NULL",
      )
        .catch(() => [{ n: 0 }]);
      return Number(rows[0]!.n) >= _SLOTS;
    });
    assert.ok(enough, "fewer than 200 finished fires within 300 s");
  } finally {
    logs = await _stop(hosts);
  }
  const rows = await _query(
    db.url,
    "SELECT item_id, slot_ms::bigint AS slot_ms, run_id, host, finished_at, exit_code, attempts FROM schedule_fires",
  );
  const fired = _firedRunIds(await Deno.readTextFile(join(dir.path, "fired.log")));

  // 0 double fires: each run id started once, by the host holding its row.
  const seen = new Map<string, string>();
  const doubles: string[] = [];
  for (const f of fired) {
    if (seen.has(f.runId)) doubles.push(`${f.runId} by ${seen.get(f.runId)} and ${f.host}`);
    seen.set(f.runId, f.host);
  }
  assert.deepEqual(doubles, [], "slots fired twice");
  const finished = rows.filter((r) => r.finished_at !== null);
  assert.ok(finished.length >= _SLOTS, `${finished.length} finished fires`);
  for (const r of finished) {
    assert.equal(
      seen.get(String(r.run_id)),
      String(r.host),
      `run ${r.run_id} was started by its claim's host`,
    );
    assert.equal(Number(r.exit_code), 0);
  }
  // 0 lost: per item, every slot from the first to the last fired either ran, or was skipped because the item's
  // previous run was still going (at most one instance per item across hosts, logged as schedule_skip overlap).
  const overlapSkips = new Set(
    logs.flatMap((l) => [...l.matchAll(/schedule_skip item_id=(\S+) reason=overlap scheduled=(\S+)/g)])
      .map((m) => `${m[1]} ${Date.parse(m[2]!)}`),
  );
  const lost: string[] = [];
  let skipped = 0;
  for (let i = 0; i < _ITEMS; i++) {
    const slots = rows.filter((r) => r.item_id === `item${i}`).map((r) => Number(r.slot_ms)).sort((a, b) =>
      a - b
    );
    for (let k = 1; k < slots.length; k++) {
      for (let t = slots[k - 1]! + 60_000; t < slots[k]!; t += 60_000) {
        if (overlapSkips.has(`item${i} ${t}`)) skipped++;
        else lost.push(`item${i} ${new Date(t).toISOString()}`);
      }
    }
  }
  assert.deepEqual(lost, [], "slots never fired and not skipped for an overlap");
  const byHost = new Map<string, number>();
  for (const f of fired) byHost.set(f.host, (byHost.get(f.host) ?? 0) + 1);
  assert.ok(byHost.size >= 2, `only ${[...byHost.keys()].join(", ")} fired: the schedulers did not compete`);
  // The others saw each slot claimed and skipped it.
  assert.ok(logs.some((l) => l.includes("reason=claimed")), logs.join("\n").slice(-2000));
  console.log(
    `fleet: ${finished.length} slots run, 0 double fires, 0 lost, ${skipped} skipped for an overlap; by host ` +
      JSON.stringify(Object.fromEntries(byHost)),
  );
});

Deno.test({
  name: "a claim whose scheduler died is taken over after it expires and its run resumed by run id",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "scheduler.yaml"),
    `version: 1\ntimezone: UTC\nitems:\n  - {id: nightly, cron: "0 3 1 1 *", flow_yaml: f.yaml}\n`,
  );
  // A scheduler on host "ghost" claimed a slot and died: its claim expired, nothing renews it.
  const { PostgresStateStore } = await import("../engine/state/postgres_store.ts");
  const slot = Date.parse("2030-12-31T03:00:00Z");
  {
    await using ghost = await PostgresStateStore.open(db.url, { host: "ghost", pid: 4242 });
    const claim = await ghost.claimFire({
      itemId: "nightly",
      slotMs: slot,
      runId: "nightly-20301231T0300Z",
      ttlSeconds: 0,
    });
    assert.equal(claim.kind, "claimed");
  }
  const host = _startHost("host-b", dir.path, db.url, Date.now());
  let log = "";
  try {
    const done = await _until(120, async () => {
      const rows = await _query(db.url, "SELECT finished_at FROM schedule_fires WHERE item_id = 'nightly'");
      return rows[0]?.finished_at !== null && rows[0]?.finished_at !== undefined;
    });
    assert.ok(done, "the abandoned claim was not taken over within 120 s");
  } finally {
    [log] = await _stop([host]);
  }
  const [row] = await _query(
    db.url,
    "SELECT host, attempts, exit_code FROM schedule_fires WHERE item_id = 'nightly'",
  );
  assert.deepEqual({ ...row }, { host: "host-b", attempts: 2, exit_code: 0 });
  const fired = _firedRunIds(await Deno.readTextFile(join(dir.path, "fired.log")));
  assert.deepEqual(fired, [{ host: "host-b", runId: "nightly-20301231T0300Z" }]);
  assert.match(log, /schedule_takeover .*run_id=nightly-20301231T0300Z/);
});

Deno.test({
  name: "schedule fire on three hosts with a shared state runs the slot once; the others skip it (exit 0)",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const fire = (host: string) => _guard(dir.path, db.url, host);
  const outs = await Promise.all(["host-a", "host-b", "host-c"].map(fire));
  const dec = new TextDecoder();
  for (const o of outs) assert.equal(o.code, 0, dec.decode(o.stderr));
  // All three start within seconds, usually in one slot; across a minute boundary two slots run, each once.
  const fired = _firedRunIds(await Deno.readTextFile(join(dir.path, "fired.log")));
  const ids = fired.map((f) => f.runId);
  assert.equal(new Set(ids).size, ids.length, `a slot ran twice: ${JSON.stringify(fired)}`);
  for (const id of ids) assert.match(id, /^hourly-\d{8}T\d{4}Z$/);
  const skipped = outs.filter((o) =>
    /was started by host host-|an earlier run is still going/.test(dec.decode(o.stderr))
  );
  assert.equal(skipped.length + fired.length, 3);
  assert.ok(skipped.length >= 1);
  const rows = await _query(db.url, "SELECT run_id, host, exit_code FROM schedule_fires ORDER BY run_id");
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [...fired].sort((a, b) => a.runId.localeCompare(b.runId)).map((f) => ({
      run_id: f.runId,
      host: f.host,
      exit_code: 0,
    })),
  );
});

Deno.test({
  name: "schedule fire resumes the open slot of a guard that died instead of skipping every later slot",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const { PostgresStateStore } = await import("../engine/state/postgres_store.ts");
  {
    // A guard on host "ghost" claimed an earlier slot and died: the claim expired, nothing renews it.
    await using ghost = await PostgresStateStore.open(db.url, { host: "ghost", pid: 4242 });
    const claim = await ghost.claimFire({
      itemId: "hourly",
      slotMs: Date.parse("2026-01-01T05:00:00Z"),
      runId: "hourly-20260101T0500Z",
      ttlSeconds: 0,
    });
    assert.equal(claim.kind, "claimed");
  }
  const out = await _guard(dir.path, db.url, "host-a");
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  assert.match(dec.decode(out.stderr), /Resuming run hourly-20260101T0500Z of item hourly/);
  const fired = _firedRunIds(await Deno.readTextFile(join(dir.path, "fired.log")));
  assert.deepEqual(fired, [{ host: "host-a", runId: "hourly-20260101T0500Z" }]);
  const rows = await _query(db.url, "SELECT run_id, host, attempts, exit_code FROM schedule_fires");
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { run_id: "hourly-20260101T0500Z", host: "host-a", attempts: 2, exit_code: 0 },
  ]);
  // The next slot is free again.
  const next = await _guard(dir.path, db.url, "host-b");
  assert.equal(next.code, 0, dec.decode(next.stderr));
  assert.equal(_firedRunIds(await Deno.readTextFile(join(dir.path, "fired.log"))).length, 2);
});

/** The pids of every live process below `root` (from /proc), children before grandchildren. */
function _descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(e.name), ppid);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parent].filter(([, pp]) => frontier.includes(pp)).map(([pid]) => pid);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/**
 * kill -9 of a whole host: the scheduler and every process it started (its runs sit in their own sessions, so
 * a process-group kill would miss them). Everything is stopped first so nothing spawns while the tree is read.
 */
function _killHost(pid: number): number[] {
  const seen = new Set<number>([pid]);
  Deno.kill(pid, "SIGSTOP");
  for (let round = 0; round < 10; round++) {
    const found = _descendants(pid).filter((p) => !seen.has(p));
    if (found.length === 0) break;
    for (const p of found) {
      seen.add(p);
      try {
        Deno.kill(p, "SIGSTOP");
      } catch { /* gone */ }
    }
  }
  for (const p of seen) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* gone */ }
  }
  return [...seen];
}

Deno.test({
  name:
    "a host SIGKILLed mid-run: another host resumes its run after the lease expires; 0 double fires, 0 lost",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const d = dir.path;
  // Real runs on the same PostgreSQL: `mark` appends "<host> <run id>" once, then `work` takes a few seconds —
  // the window in which a host is killed.
  await Deno.writeTextFile(
    join(d, "f.yaml"),
    [
      "flow:",
      "  id: fleetrun",
      `  workspace: {root: ${d}/ws, cleanup_policy: never}`,
      '  state: {backend: postgres, url: "{{env.STATE_DB_URL}}"}',
      "jobs:",
      "  - id: j",
      "    steps:",
      "      - id: mark",
      "        type: external.process",
      `        inputs: {command: [sh, -c, 'echo "$AETHERFLOW_HOST_ID {{run_id}}" >> ${d}/marks.log']}`,
      "      - id: work",
      "        type: external.process",
      "        inputs: {command: [sleep, '4']}",
      "",
    ].join("\n"),
  );
  const itemIds = ["alpha", "beta"];
  await Deno.writeTextFile(
    join(d, "scheduler.yaml"),
    `version: 1\ntimezone: UTC\nitems:\n${
      itemIds.map((id) => `  - {id: ${id}, cron: "* * * * *", flow_yaml: f.yaml}`).join("\n")
    }\n`,
  );
  const options: _HostOptions = { scale: 10, realRuns: true, leaseSeconds: 6, env: { STATE_DB_URL: db.url } };
  const t0 = Date.now() + 3000;
  const hosts = ["host-a", "host-b", "host-c"].map((id) => _startHost(id, d, db.url, t0, options));
  const finishedCount = async () =>
    Number(
      (await _query(db.url, "SELECT count(*)::int AS n FROM schedule_fires WHERE finished_at IS NOT NULL")
        .catch(() => [{ n: 0 }]))[0]!.n,
    );
  let victim: { host: string; runId: string } | undefined;
  /** Every run the killed host had claimed and not finished (the victim, and any other it had going). */
  let orphans: string[] = [];
  /** Runs finished before the fleet was stopped (stopping terminates the runs going, exit 143). */
  let done = new Set<string>();
  let logs: string[] = [];
  let survivors = hosts;
  try {
    // Let the fleet settle, then catch a host in the middle of a run: its `mark` step recorded SUCCESS, its job
    // RUNNING and `work` not finished (a step's row is written when it ends).
    assert.ok(await _until(300, async () => (await finishedCount()) >= 3), "the fleet did not start running");
    const caught = await _until(300, async () => {
      const rows = await _query(
        db.url,
        `SELECT f.host, f.run_id FROM schedule_fires f
           JOIN step_runs s ON s.run_id = f.run_id AND s.step_id = 'mark' AND s.status = 'SUCCESS'
           JOIN job_runs j ON j.run_id = f.run_id AND j.status = 'RUNNING'
          WHERE f.finished_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM step_runs w WHERE w.run_id = f.run_id AND w.step_id = 'work')`,
      ).catch(() => []);
      if (rows.length === 0) return false;
      victim = { host: String(rows[0]!.host), runId: String(rows[0]!.run_id) };
      return true;
    });
    assert.ok(caught && victim, "no run was caught mid-way within 300 s");
    const dead = hosts.find((h) => h.id === victim!.host)!;
    const killed = _killHost(dead.child.pid);
    assert.ok(killed.length >= 2, `the host's run died with it (${killed.length} processes)`);
    assert.equal((await dead.child.status).signal, "SIGKILL");
    survivors = hosts.filter((h) => h !== dead);
    orphans = (await _query(
      db.url,
      `SELECT run_id FROM schedule_fires WHERE finished_at IS NULL AND host = '${victim!.host}'`,
    )).map((r) => String(r.run_id));
    assert.ok(orphans.includes(victim!.runId), JSON.stringify(orphans));
    // Another host takes the run over once its claim and run lease expire (6 s), and finishes it; the fleet
    // keeps going for a few slots more.
    const resumed = await _until(300, async () => {
      const rows = await _query(
        db.url,
        `SELECT host, finished_at FROM schedule_fires WHERE run_id IN (${
          orphans.map((o) => `'${o}'`).join(", ")
        })`,
      ).catch(() => []);
      return rows.length === orphans.length &&
        rows.every((row) => row.finished_at !== null && row.host !== victim!.host);
    });
    assert.ok(resumed, `runs ${orphans.join(", ")} of the killed host were not all resumed within 300 s`);
    const target = (await finishedCount()) + 4;
    assert.ok(await _until(300, async () => (await finishedCount()) >= target), "the fleet stopped firing");
    done = new Set(
      (await _query(db.url, "SELECT run_id FROM schedule_fires WHERE finished_at IS NOT NULL"))
        .map((r) => String(r.run_id)),
    );
  } finally {
    logs = await _stop(survivors);
    // The killed host's stderr up to its death (its overlap skips count for the lost check).
    const dead = hosts.find((h) => !survivors.includes(h));
    if (dead) logs.push(await dead.stderr);
  }
  const v = victim!;
  const all = logs.join("\n");
  for (const runId of orphans) {
    assert.match(all, new RegExp(`schedule_takeover .*run_id=${runId}`));
    const [row] = await _query(
      db.url,
      `SELECT host, attempts, exit_code FROM schedule_fires WHERE run_id = '${runId}'`,
    );
    assert.notEqual(row!.host, v.host, runId);
    assert.ok(Number(row!.attempts) >= 2, `${runId}: ${JSON.stringify(row)}`);
    assert.equal(Number(row!.exit_code), 0, runId);
  }
  const [vrow] = await _query(db.url, `SELECT host FROM schedule_fires WHERE run_id = '${v.runId}'`);

  const rows = await _query(
    db.url,
    "SELECT item_id, slot_ms::bigint AS slot_ms, run_id, host, finished_at, exit_code FROM schedule_fires",
  );
  const runs = new Map(
    (await _query(db.url, "SELECT run_id, status, invocations FROM runs")).map((r) => [String(r.run_id), r]),
  );
  // 0 double fires: every run was invoked once, except the killed host's, resumed once by another host; `mark`
  // ran once per run id — the victim's recorded SUCCESS before the kill, so its resume did not run it again
  // (another orphan may have been killed inside `mark`, before its success was recorded: that one may re-run).
  const marks = (await Deno.readTextFile(join(d, "marks.log"))).trim().split("\n").map((l) =>
    l.split(" ")[1]!
  );
  const dupes = marks.filter((id, i) => marks.indexOf(id) !== i && !(orphans.includes(id) && id !== v.runId));
  assert.deepEqual(dupes, [], "a run's mark step ran twice");
  assert.equal(marks.filter((id) => id === v.runId).length, 1);
  for (const r of rows.filter((r) => done.has(String(r.run_id)))) {
    const id = String(r.run_id);
    const run = runs.get(id);
    assert.equal(Number(r.exit_code), 0, JSON.stringify(r));
    assert.equal(run?.status, "SUCCESS", `${id}: ${JSON.stringify(run)}`);
    const expected = id === v.runId ? [2] : orphans.includes(id) ? [1, 2] : [1];
    assert.ok(expected.includes(Number(run?.invocations)), `${id}: ${JSON.stringify(run)}`);
    assert.ok(marks.includes(id), `${id} ran its mark step`);
  }
  // 0 lost: per item, every slot between the first and the last claimed ran, or was skipped because the item's
  // previous run was still going (the killed run included, until it was taken over).
  const overlapSkips = new Set(
    [...all.matchAll(/schedule_skip item_id=(\S+) reason=overlap scheduled=(\S+)/g)]
      .map((m) => `${m[1]} ${Date.parse(m[2]!)}`),
  );
  const lost: string[] = [];
  for (const item of itemIds) {
    const slots = rows.filter((r) => r.item_id === item).map((r) => Number(r.slot_ms)).sort((a, b) => a - b);
    for (let k = 1; k < slots.length; k++) {
      for (let t = slots[k - 1]! + 60_000; t < slots[k]!; t += 60_000) {
        if (!overlapSkips.has(`${item} ${t}`)) lost.push(`${item} ${new Date(t).toISOString()}`);
      }
    }
  }
  assert.deepEqual(lost, [], "slots never fired and not skipped for an overlap");
  console.log(
    `fleet kill: ${v.host} killed during ${orphans.join(", ")}, ${v.runId} resumed by ${vrow!.host}; ` +
      `${done.size} slots run, 0 double fires, 0 lost`,
  );
});
