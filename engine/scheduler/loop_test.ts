import assert from "node:assert/strict";
import type { JsonValue } from "../types.ts";
import { type ChildHandle, type Clock, parseRunStartState, Scheduler, type SpawnRequest } from "./loop.ts";
import { parseSchedulerYaml, type SchedulerConfig } from "./parse_scheduler_yaml.ts";
import type { FireClaims } from "./fire_claims.ts";

// Everything is injected: a fake clock that only moves when the test says so, fake children, captured logs.

interface FakeChild extends ChildHandle {
  readonly argv: readonly string[];
  readonly onLine: (line: string) => void;
  readonly signals: string[];
  exit(code: number): void;
}

function _harness(
  yaml: string,
  options: {
    ignoreTerm?: boolean;
    maxChildren?: number;
    graceElapses?: boolean;
    /** Item timeouts: each wait resolves when the test calls `elapse()` (real time is never used). */
    timeouts?: boolean;
    /** Shared fire claims (several hosts). */
    fires?: FireClaims;
  } = {},
) {
  const report = parseSchedulerYaml(yaml, "s.yaml");
  assert.ok(report.config, JSON.stringify(report.errors));
  const config: SchedulerConfig = report.config;
  let now = Date.parse("2026-03-01T12:00:30Z");
  const children: FakeChild[] = [];
  const messages: string[] = [];
  const events: { name: string; fields: Readonly<Record<string, JsonValue>> }[] = [];
  const repaired: string[] = [];
  const waits: { ms: number; resolve: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (_ms, signal) =>
      new Promise((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true })),
  };
  let pid = 1000;
  const spawn = (req: SpawnRequest): ChildHandle => {
    let resolveStatus: (code: number) => void = () => {};
    const status = new Promise<number>((r) => (resolveStatus = r));
    const child: FakeChild = {
      pid: pid++,
      argv: req.argv,
      onLine: req.onLine,
      signals: [],
      status,
      exit: (code) => resolveStatus(code),
      terminate() {
        this.signals.push("SIGTERM");
        if (!options.ignoreTerm) resolveStatus(143);
      },
      kill() {
        this.signals.push("SIGKILL");
        resolveStatus(137);
      },
    };
    children.push(child);
    return child;
  };
  const scheduler = new Scheduler({
    config,
    selfCommand: ["/opt/aetherflow"],
    clock,
    spawn,
    maxChildren: options.maxChildren,
    fires: options.fires,
    drainSleep: (_ms, signal) =>
      options.graceElapses
        ? Promise.resolve()
        : new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
    repairKilled: (runId, state, error) => {
      repaired.push(`${runId} ${state}${error ? ` (${error})` : ""}`);
    },
    timeoutSleep: options.timeouts
      ? (ms, signal) =>
        new Promise<void>((resolve) => {
          waits.push({ ms, resolve });
          signal.addEventListener("abort", () => resolve(), { once: true });
        })
      : undefined,
    log: {
      message: (level, text) => messages.push(`${level} ${text}`),
      event: (name, fields) => events.push({ name, fields }),
      relay: (line) => messages.push(`RELAY ${line}`),
    },
  });
  return {
    scheduler,
    children,
    messages,
    events,
    repaired,
    setNow: (iso: string) => (now = Date.parse(iso)),
    /** Pending timeout waits (ms); `elapse(i)` ends one. */
    waits,
    elapse: async (i: number) => {
      waits[i]?.resolve();
      await flush();
    },
    /** Start the loop (it computes next fires from "now" and then sleeps on the fake clock). */
    start: () => scheduler.run(),
  };
}

const FLOW_ITEM = `
timezone: UTC
items:
  - {id: every_5m, cron: "*/5 * * * *", flow_yaml: flows/f.yaml, flow_job: extract}
`;

const flush = () => new Promise((r) => setTimeout(r, 0));

Deno.test("Scheduler: a due fire spawns exactly one child with the B.4 argv and slot run id", async () => {
  const h = _harness(
    FLOW_ITEM +
      `  - {id: bundle_only, cron: "*/5 * * * *", bundle_manifest: m.yaml, allow_stale_bundle: true}\n`,
  );
  const done = h.start();
  h.setNow("2026-03-01T12:04:59Z");
  h.scheduler.tick();
  assert.equal(h.children.length, 0);
  h.setNow("2026-03-01T12:05:00.250Z");
  h.scheduler.tick();
  h.scheduler.tick(); // same wake again: nothing new
  assert.deepEqual(h.children.map((c) => c.argv), [
    [
      "/opt/aetherflow",
      "run",
      "--flow-yaml",
      "flows/f.yaml",
      "--flow-job",
      "extract",
      "--run-id",
      "every_5m-20260301T1205Z",
    ],
    [
      "/opt/aetherflow",
      "run",
      "--bundle-manifest",
      "m.yaml",
      "--allow-stale-bundle",
      "--run-id",
      "bundle_only-20260301T1205Z",
    ],
  ]);
  assert.deepEqual(h.events.filter((e) => e.name === "schedule_fire").map((e) => e.fields.run_id), [
    "every_5m-20260301T1205Z",
    "bundle_only-20260301T1205Z",
  ]);
  assert.ok(h.messages.includes("INFO Scheduled every_5m -> */5 * * * *"));
  assert.ok(h.messages.includes("INFO Scheduler running"));
  h.children[0]?.onLine("hello");
  assert.ok(h.messages.includes("RELAY [every_5m] hello"));
  h.children[0]?.exit(0);
  h.children[1]?.exit(1);
  await flush();
  assert.ok(h.messages.includes("INFO Run every_5m-20260301T1205Z of item every_5m finished rc=0"));
  assert.ok(h.messages.includes("ERROR Run bundle_only-20260301T1205Z of item bundle_only finished rc=1"));
  const finish = h.events.find((e) => e.name === "schedule_finish" && e.fields.item_id === "bundle_only");
  assert.equal(finish?.fields.rc, 1);
  h.scheduler.stop();
  assert.equal(await done, 0);
});

Deno.test("Scheduler: overlap is skipped with a warning, never queued", async () => {
  const h = _harness(FLOW_ITEM);
  const done = h.start();
  h.setNow("2026-03-01T12:05:01Z");
  h.scheduler.tick();
  h.setNow("2026-03-01T12:10:01Z");
  h.scheduler.tick();
  assert.equal(h.children.length, 1);
  assert.ok(h.messages.includes(
    "WARNING Execution of item every_5m skipped: maximum number of running instances reached (1)",
  ));
  const skip = h.events.find((e) => e.name === "schedule_skip");
  assert.deepEqual(skip?.fields, {
    item_id: "every_5m",
    reason: "overlap",
    scheduled: "2026-03-01T12:10:00.000Z",
  });
  h.children[0]?.exit(0);
  await flush();
  assert.equal(h.children.length, 1); // the skipped slot is not replayed when the slot frees up
  h.setNow("2026-03-01T12:15:00Z");
  h.scheduler.tick();
  assert.equal(h.children.length, 2);
  h.children[1]?.exit(0);
  h.scheduler.stop();
  assert.equal(await done, 0);
});

Deno.test("Scheduler: missed fires coalesce into the latest slot after a suspend", async () => {
  const h = _harness(FLOW_ITEM);
  const done = h.start();
  h.setNow("2026-03-01T12:31:10Z"); // slept through 12:05 … 12:30
  h.scheduler.tick();
  assert.equal(h.children.length, 1);
  assert.equal(h.children[0]?.argv.at(-1), "every_5m-20260301T1230Z");
  const co = h.events.find((e) => e.name === "schedule_coalesce");
  assert.equal(co?.fields.dropped, 5);
  h.children[0]?.exit(0);
  h.scheduler.stop();
  assert.equal(await done, 0);
});

Deno.test("Scheduler: misfire_grace_time skips a fire found too late", async () => {
  const h = _harness(`
timezone: Europe/Berlin
items:
  - {id: hourly, cron: "0 * * * *", flow_yaml: f.yaml, misfire_grace_time: 300}
`);
  const done = h.start();
  h.setNow("2026-03-01T13:10:00Z"); // clock jump: the 14:00 CET slot (13:00Z) is 600 s old
  h.scheduler.tick();
  assert.equal(h.children.length, 0);
  assert.ok(h.messages.includes("WARNING Run time of item hourly was missed by 600s"));
  h.setNow("2026-03-01T14:00:04Z");
  h.scheduler.tick();
  assert.equal(h.children.length, 1);
  h.children[0]?.exit(0);
  h.scheduler.stop();
  assert.equal(await done, 0);
});

Deno.test("Scheduler: the global cap makes a fire wait, then re-checks it when a slot frees", async () => {
  const h = _harness(
    `
timezone: UTC
items:
  - {id: a, cron: "*/5 * * * *", flow_yaml: f.yaml}
  - {id: b, cron: "*/5 * * * *", flow_yaml: f.yaml}
`,
    { maxChildren: 1 },
  );
  const done = h.start();
  h.setNow("2026-03-01T12:05:00Z");
  h.scheduler.tick();
  assert.equal(h.children.length, 1);
  assert.ok(h.events.some((e) => e.name === "schedule_wait" && e.fields.item_id === "b"));
  h.children[0]?.exit(0);
  await flush();
  assert.equal(h.children.length, 2);
  assert.equal(h.children[1]?.argv.at(-1), "b-20260301T1205Z");
  h.children[1]?.exit(0);
  h.scheduler.stop();
  assert.equal(await done, 0);
});

Deno.test("Scheduler: stop drains a child that obeys SIGTERM and exits 0", async () => {
  const h = _harness(FLOW_ITEM);
  const done = h.start();
  h.setNow("2026-03-01T12:05:00Z");
  h.scheduler.tick();
  h.scheduler.stop("SIGTERM");
  assert.equal(await done, 0);
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM"]);
  h.setNow("2026-03-01T12:10:00Z");
  h.scheduler.tick(); // no fires after stop… (tick is only called by the loop, which has exited)
  assert.deepEqual(h.repaired, []);
});

Deno.test("Scheduler: a child ignoring SIGTERM is killed after the grace and its run repaired", async () => {
  const h = _harness(FLOW_ITEM, { ignoreTerm: true, graceElapses: true });
  const done = h.start();
  h.setNow("2026-03-01T12:05:00Z");
  h.scheduler.tick();
  h.children[0]?.onLine(
    "2026-03-01 12:05:00.100 INFO aetherflow.flow.demo - run_start flow_id=demo " +
      "run_id=every_5m-20260301T1205Z yaml=flows/f.yaml state=/var/lib/af/state db.sqlite",
  );
  h.scheduler.stop("SIGTERM");
  assert.equal(await done, 1);
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM", "SIGKILL"]);
  assert.deepEqual(h.repaired, ["every_5m-20260301T1205Z /var/lib/af/state db.sqlite"]);
});

Deno.test("Scheduler: a second stop skips the grace wait", async () => {
  const h = _harness(FLOW_ITEM, { ignoreTerm: true });
  const done = h.start();
  h.setNow("2026-03-01T12:05:00Z");
  h.scheduler.tick();
  h.scheduler.stop("SIGINT");
  await flush();
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM"]);
  h.scheduler.stop("SIGINT");
  assert.equal(await done, 1);
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM", "SIGKILL"]);
});

Deno.test("parseRunStartState() reads the state path from text and JSON run_start lines", () => {
  assert.equal(
    parseRunStartState(
      "2026-01-01 00:00:00.000 INFO aetherflow.flow.x - run_start flow_id=x run_id=r yaml=f state=/s/a.db",
    ),
    "/s/a.db",
  );
  assert.equal(
    parseRunStartState('{"ts_ms":1,"event":"run_start","flow_id":"x","state":"/s/b.db"}'),
    "/s/b.db",
  );
  assert.equal(parseRunStartState('{"ts_ms":1,"event":"job_start"}'), undefined);
  assert.equal(parseRunStartState("state=/nope"), undefined);
});

Deno.test("Scheduler: a run outliving its item timeout gets SIGTERM, then SIGKILL after the grace, and is repaired", async () => {
  const h = _harness(
    `
timezone: UTC
items:
  - {id: slow, cron: "*/5 * * * *", flow_yaml: f.yaml, timeout: 90m}
  - {id: quick, cron: "*/5 * * * *", flow_yaml: f.yaml}
`,
    { ignoreTerm: true, timeouts: true },
  );
  const done = h.start();
  h.setNow("2026-03-01T12:05:00Z");
  h.scheduler.tick();
  assert.deepEqual(h.waits.map((w) => w.ms), [5_400_000, 21_600_000]); // the item's timeout, else 6 h
  h.children[1]?.exit(0); // finished in time: its timer is cancelled, nothing is signalled
  await flush();
  h.children[0]?.onLine(
    "x INFO aetherflow.flow.f - run_start flow_id=f run_id=r yaml=f.yaml state=/srv/s.db",
  );
  await h.elapse(0);
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM"]);
  assert.ok(
    h.messages.includes(
      "WARNING Run slow-20260301T1205Z of item slow exceeded its timeout of 5400s: terminating it",
    ),
  );
  assert.equal(h.waits[2]?.ms, 30_000);
  await h.elapse(2);
  assert.deepEqual(h.children[0]?.signals, ["SIGTERM", "SIGKILL"]);
  assert.deepEqual(h.children[1]?.signals, []);
  h.scheduler.stop();
  assert.equal(await done, 0);
  assert.deepEqual(h.repaired, ["slow-20260301T1205Z /srv/s.db (killed after exceeding the item timeout)"]);
  assert.ok(h.events.some((e) => e.name === "schedule_timeout" && e.fields.timeout_s === 5400));
});

Deno.test("Scheduler: an item due at every wake resumes the run a dead host left open instead of skipping it", async () => {
  // Another host claimed 12:01 and died. Until that run finishes every later claim of the item finds it open
  // (overlap); once its claim expired the first scheduler to notice takes it over. The item is due at every
  // wake, so it is always being claimed when the wake's idle-item look-up runs.
  const abandoned = {
    itemId: "each_minute",
    slotMs: Date.parse("2026-03-01T12:01:00Z"),
    runId: "each_minute-20260301T1201Z",
  };
  let expired = false;
  let takenBy = "ghost";
  let finished = false;
  const fires: FireClaims = {
    ttlSeconds: 6,
    claim: () =>
      Promise.resolve(finished ? { kind: "claimed", host: "me" } : { kind: "overlap", host: takenBy }),
    renew: () => Promise.resolve(true),
    finish: (_item, slotMs) => {
      if (slotMs === abandoned.slotMs) finished = true;
      return Promise.resolve();
    },
    release: () => Promise.resolve(),
    takeOver: (ids) => {
      if (!expired || takenBy !== "ghost" || !ids.includes(abandoned.itemId)) return Promise.resolve(null);
      takenBy = "me";
      return Promise.resolve(abandoned);
    },
  };
  const h = _harness(`timezone: UTC\nitems:\n  - {id: each_minute, cron: "* * * * *", flow_yaml: f.yaml}\n`, {
    fires,
  });
  const done = h.start();
  await flush();
  const wake = async (iso: string) => {
    h.setNow(iso);
    h.scheduler.tick();
    for (let i = 0; i < 5; i++) await flush();
  };
  await wake("2026-03-01T12:02:00.100Z"); // the claim is still live: skipped for the overlap
  assert.equal(h.children.length, 0);
  expired = true;
  await wake("2026-03-01T12:03:00.100Z");
  await wake("2026-03-01T12:04:00.100Z");
  assert.deepEqual(h.children.map((c) => c.argv.at(-1)), [abandoned.runId]);
  assert.ok(
    h.events.some((e) => e.name === "schedule_takeover" && e.fields.run_id === abandoned.runId),
    JSON.stringify(h.events),
  );
  // The slot whose claim found the open run is accounted for as an overlap skip.
  assert.equal(h.events.filter((e) => e.name === "schedule_skip" && e.fields.reason === "overlap").length, 3);
  h.children[0]!.exit(0);
  await flush();
  h.scheduler.stop();
  assert.equal(await done, 0);
});
