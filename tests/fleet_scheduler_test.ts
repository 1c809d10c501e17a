// `schedule run` on several hosts against one PostgreSQL state (docs/fleet.md "Exactly once"): three scheduler
// processes with distinct host ids share one fast clock; every slot is claimed in `schedule_fires` before it
// runs. Over >= 200 slots: no slot runs twice, no slot between the first and the last is lost, every run ends.
// A claim whose scheduler died is taken over and its run resumed by run id.
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

function _startHost(id: string, dir: string, url: string, t0: number): _Host {
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
      AETHERFLOW_LEASE_SECONDS: "5",
      AETHERFLOW_SCHEDULER_TIME_SCALE: String(_SCALE),
      AETHERFLOW_SCHEDULER_START: new Date(_START).toISOString(),
      AETHERFLOW_SCHEDULER_T0: String(t0),
      // Each fire is a real child process that appends "<host> <argv>" to fired.log.
      AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify([
        "/bin/sh",
        "-c",
        'echo "$AETHERFLOW_HOST_ID $*" >> fired.log',
        "sh",
      ]),
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
