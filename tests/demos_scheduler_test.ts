// The demos' scheduler files (examples/*/scheduler.yaml; examples/README.md, docs/scheduling.md) under a
// fake clock: fire times in Europe/Berlin including both DST nights, the run ids and argv of each fire, overlap
// skip, coalescing and misfire after a suspend, systemd calendars checked by systemd-analyze, and one real
// `schedule run` of demo_every_5m whose re-fire of the same slot resumes the failed run. Validation and
// `systemd-analyze verify` of the generated units are in demos_local_test.ts.
import assert from "node:assert/strict";
import { dirname, isAbsolute, join, resolve } from "node:path";
import {
  type ChildHandle,
  type Clock,
  cronToOnCalendar,
  nextFires,
  parseSchedulerYaml,
  Scheduler,
  type SchedulerConfig,
} from "../engine/scheduler/mod.ts";
import { MAIN, ROOT, stateRows, tempDir, waitUntil } from "./_helpers.ts";

const SINGLE = "examples/singleflow/scheduler/scheduler.yaml";
const LOCAL = "examples/multiflows-local/scheduler.yaml";
const REMOTE = "examples/multiflows-remote/scheduler.yaml";
const TZ = "Europe/Berlin";

function _config(file: string): SchedulerConfig {
  const report = parseSchedulerYaml(Deno.readTextFileSync(join(ROOT, file)), file);
  assert.ok(report.config, JSON.stringify(report.errors));
  return report.config;
}

/** Item paths the way `schedule run` resolves them, started from the repository root. */
function _resolver(file: string, config: SchedulerConfig): (p: string) => string {
  const base = config.pathsRelativeTo === "file" ? dirname(join(ROOT, file)) : ROOT;
  return (p) => (isAbsolute(p) ? p : resolve(base, p));
}

const _flush = () => new Promise((r) => setTimeout(r, 0));

interface _Child extends ChildHandle {
  readonly argv: readonly string[];
  exit(code: number): void;
}

/** The in-process loop on a demo file: a clock that moves only when the test says so, fake children, logs. */
function _loop(file: string, startIso: string) {
  const config = _config(file);
  let now = Date.parse(startIso);
  const children: _Child[] = [];
  const messages: string[] = [];
  const events: { name: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (_ms, signal) =>
      new Promise((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true })),
  };
  let pid = 1000;
  const scheduler = new Scheduler({
    config,
    selfCommand: ["/opt/aetherflow"],
    clock,
    resolvePath: _resolver(file, config),
    spawn: (req) => {
      let exit: (code: number) => void = () => {};
      const status = new Promise<number>((r) => (exit = r));
      const child: _Child = {
        pid: pid++,
        argv: req.argv,
        status,
        exit: (code) => exit(code),
        terminate: () => exit(143),
        kill: () => exit(137),
      };
      children.push(child);
      return child;
    },
    drainSleep: (_ms, signal) =>
      new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
    log: {
      message: (level, text) => messages.push(`${level} ${text}`),
      event: (name, fields) => events.push({ name, fields }),
      relay: () => {},
    },
  });
  const done = scheduler.run();
  return {
    children,
    messages,
    events,
    /** Move the fake clock to `iso` and let the loop look at it. */
    at(iso: string) {
      now = Date.parse(iso);
      scheduler.tick();
    },
    /** Every child exits 0 (the runs are instant), then the loop stops cleanly. */
    async finish() {
      for (const c of children) c.exit(0);
      await _flush();
      scheduler.stop();
      assert.equal(await done, 0);
    },
  };
}

/** The slot run ids of one item fired while the clock walks minute by minute over [fromIso, toIso]. */
async function _walk(file: string, itemId: string, fromIso: string, toIso: string): Promise<string[]> {
  const h = _loop(file, fromIso);
  for (let t = Date.parse(fromIso); t <= Date.parse(toIso); t += 60_000) {
    h.at(new Date(t).toISOString());
    for (const c of h.children) c.exit(0); // each run ends before the next minute: no overlap here
    await _flush();
  }
  await h.finish();
  return h.children.map((c) => c.argv.at(-1)!).filter((id) => id.startsWith(`${itemId}-`));
}

/** `HH:MM` wall time in Berlin of a slot run id `<item>-YYYYMMDDTHHMMZ`. */
function _berlin(runId: string): string {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(runId)!;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: TZ,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  })
    .format(t);
}

Deno.test("demo scheduler files: demo_every_5m fires at :00, :05, … Berlin with run id <item>-<slot UTC>", async () => {
  const config = _config(SINGLE);
  assert.equal(config.timezone, TZ);
  assert.deepEqual(config.items.map((i) => [i.id, i.cron]), [["demo_every_5m", "*/5 * * * *"]]);
  const h = _loop(SINGLE, "2026-03-02T10:58:30Z"); // 11:58:30 CET
  h.at("2026-03-02T10:59:59Z");
  assert.equal(h.children.length, 0);
  h.at("2026-03-02T11:00:00.200Z"); // 12:00 CET
  h.at("2026-03-02T11:00:30Z"); // same slot again: nothing new
  assert.equal(h.children.length, 1);
  h.children[0]!.exit(0);
  await _flush();
  h.at("2026-03-02T11:05:01Z");
  assert.deepEqual(h.children.map((c) => c.argv), [
    [
      "/opt/aetherflow",
      "run",
      "--flow-yaml",
      join(ROOT, "examples/singleflow/flows/demo_flow.yaml"),
      "--run-id",
      "demo_every_5m-20260302T1100Z",
    ],
    [
      "/opt/aetherflow",
      "run",
      "--flow-yaml",
      join(ROOT, "examples/singleflow/flows/demo_flow.yaml"),
      "--run-id",
      "demo_every_5m-20260302T1105Z",
    ],
  ]);
  await h.finish();
  const hour = await _walk(SINGLE, "demo_every_5m", "2026-07-14T09:59:30Z", "2026-07-14T11:00:30Z");
  assert.deepEqual(hour.map(_berlin), [
    "12:00",
    "12:05",
    "12:10",
    "12:15",
    "12:20",
    "12:25",
    "12:30",
    "12:35",
    "12:40",
    "12:45",
    "12:50",
    "12:55",
    "13:00",
  ]);
  assert.equal(hour[0], "demo_every_5m-20260714T1000Z"); // CEST: 12:00 Berlin is 10:00 UTC
});

Deno.test("demo scheduler files: bundle-only items fire `run --bundle-manifest` (its entry flow), uc2 on Mondays only", async () => {
  const h = _loop(LOCAL, "2026-03-02T08:59:30Z"); // a Monday: both items are due at 10:00 CET
  h.at("2026-03-02T09:00:00Z");
  const dir = join(ROOT, "examples/multiflows-local");
  assert.deepEqual(h.children.map((c) => c.argv), [
    [
      "/opt/aetherflow",
      "run",
      "--bundle-manifest",
      join(dir, "uc1/manifest_local.yaml"),
      "--run-id",
      "uc1_daily-20260302T0900Z",
    ],
    [
      "/opt/aetherflow",
      "run",
      "--bundle-manifest",
      join(dir, "uc2/manifest_local.yaml"),
      "--run-id",
      "uc2_weekly-20260302T0900Z",
    ],
  ]);
  await h.finish();
  const r = _loop(REMOTE, "2026-03-02T08:59:30Z");
  r.at("2026-03-02T09:00:00Z");
  const rdir = join(ROOT, "examples/multiflows-remote");
  assert.deepEqual(r.children.map((c) => c.argv.slice(1)), [
    [
      "run",
      "--bundle-manifest",
      join(rdir, "uc1/manifest_smb.yaml"),
      "--allow-stale-bundle",
      "--run-id",
      "uc1_daily-20260302T0900Z",
    ],
    [
      "run",
      "--bundle-manifest",
      join(rdir, "uc2/manifest_smb.yaml"),
      "--run-id",
      "uc2_weekly-20260302T0900Z",
    ],
  ]);
  await r.finish();
  // uc2_weekly (`*/3 * * * mon`) is Monday-only in Berlin: Tuesday 10:00 CET fires uc1_daily alone.
  const t = _loop(LOCAL, "2026-03-03T08:59:30Z");
  t.at("2026-03-03T09:00:00Z");
  assert.deepEqual(t.children.map((c) => c.argv.at(-1)), ["uc1_daily-20260303T0900Z"]);
  await t.finish();
});

Deno.test("demo scheduler files: a slot still running skips the next one (overlap), never queues it", async () => {
  const h = _loop(SINGLE, "2026-03-02T10:58:30Z");
  h.at("2026-03-02T11:00:01Z");
  h.at("2026-03-02T11:05:01Z"); // the 12:00 run is still going
  assert.equal(h.children.length, 1);
  assert.ok(h.messages.includes(
    "WARNING Execution of item demo_every_5m skipped: maximum number of running instances reached (1)",
  ));
  assert.deepEqual(h.events.find((e) => e.name === "schedule_skip")?.fields, {
    item_id: "demo_every_5m",
    reason: "overlap",
    scheduled: "2026-03-02T11:05:00.000Z",
  });
  h.children[0]!.exit(0);
  await _flush();
  assert.equal(h.children.length, 1); // the skipped slot is not replayed
  h.at("2026-03-02T11:10:00Z");
  assert.deepEqual(h.children.map((c) => c.argv.at(-1)), [
    "demo_every_5m-20260302T1100Z",
    "demo_every_5m-20260302T1110Z",
  ]);
  await h.finish();
});

Deno.test("demo scheduler files: after a simulated suspend */2 coalesces into the latest slot, uc2's late slot is missed", async () => {
  // Monday 23:50:30 CET; the machine sleeps until Tuesday 00:10 CET.
  const h = _loop(LOCAL, "2026-03-02T22:50:30Z");
  h.at("2026-03-02T23:10:00Z");
  // uc1_daily: 23:52 … 00:08 (9 slots) are dropped, the 00:10 slot runs.
  assert.deepEqual(h.children.map((c) => c.argv.at(-1)), ["uc1_daily-20260302T2310Z"]);
  assert.deepEqual(
    h.events.filter((e) => e.name === "schedule_coalesce").map((e) => [e.fields.item_id, e.fields.dropped]),
    [["uc1_daily", 9], ["uc2_weekly", 2]], // uc2: 23:51 and 23:54 CET dropped, 23:57 is the one considered
  );
  // uc2_weekly: its latest slot, Monday 23:57 CET, is 780 s old, beyond the 300 s misfire grace.
  assert.ok(
    h.messages.includes("WARNING Run time of item uc2_weekly was missed by 780s"),
    h.messages.join("\n"),
  );
  h.children[0]!.exit(0);
  await _flush();
  // The next Monday, 00:00 CET, uc2_weekly fires again.
  h.at("2026-03-08T23:00:00Z");
  assert.deepEqual(h.children.slice(1).map((c) => c.argv.at(-1)).sort(), [
    "uc1_daily-20260308T2300Z",
    "uc2_weekly-20260308T2300Z",
  ]);
  await h.finish();
  // demo_every_5m after a 27-minute suspend: the latest slot (12:30 CET) runs within the grace.
  const s = _loop(SINGLE, "2026-03-02T11:03:00Z");
  s.at("2026-03-02T11:31:10Z");
  assert.deepEqual(s.children.map((c) => c.argv.at(-1)), ["demo_every_5m-20260302T1130Z"]);
  assert.equal(s.events.find((e) => e.name === "schedule_coalesce")?.fields.dropped, 5);
  await s.finish();
});

Deno.test("demo scheduler files: DST nights in Berlin (spring forward, fall back) for */5 and */2", async () => {
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC). The wall times of the gap do not exist; the fires
  // continue every 5 (2) real minutes.
  const spring5 = await _walk(SINGLE, "demo_every_5m", "2026-03-29T00:44:30Z", "2026-03-29T01:10:30Z");
  assert.deepEqual(spring5.map(_berlin), ["01:45", "01:50", "01:55", "03:00", "03:05", "03:10"]);
  assert.equal(spring5[3], "demo_every_5m-20260329T0100Z");
  const spring2 = await _walk(LOCAL, "uc1_daily", "2026-03-29T00:55:30Z", "2026-03-29T01:04:30Z");
  assert.deepEqual(spring2.map(_berlin), ["01:56", "01:58", "03:00", "03:02", "03:04"]);
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC). A repeated wall time fires once, at its first
  // occurrence (docs/scheduling.md "DST"), so the repeated hour 02:00–02:59 CET runs nothing.
  const fall5 = await _walk(SINGLE, "demo_every_5m", "2026-10-25T00:44:30Z", "2026-10-25T02:10:30Z");
  assert.deepEqual(fall5, [
    "demo_every_5m-20261025T0045Z", // 02:45 CEST
    "demo_every_5m-20261025T0050Z",
    "demo_every_5m-20261025T0055Z", // 02:55 CEST
    "demo_every_5m-20261025T0200Z", // 03:00 CET
    "demo_every_5m-20261025T0205Z",
    "demo_every_5m-20261025T0210Z",
  ]);
  const fall2 = await _walk(LOCAL, "uc1_daily", "2026-10-25T00:55:30Z", "2026-10-25T02:04:30Z");
  assert.deepEqual(fall2.map(_berlin), ["02:56", "02:58", "03:00", "03:02", "03:04"]);
  assert.deepEqual(fall2.slice(1, 3), ["uc1_daily-20261025T0058Z", "uc1_daily-20261025T0200Z"]);
});

/** `systemd-analyze calendar` next elapses (UTC, epoch ms) of `expr` after `base`. */
function _systemdElapses(expr: string, base: number, n: number): number[] {
  const out = new Deno.Command("systemd-analyze", {
    args: ["calendar", `--iterations=${n}`, `--base-time=@${Math.floor(base / 1000)}`, expr],
    env: { TZ: "UTC", LC_ALL: "C" },
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  // With TZ=UTC every elapse line reads "... YYYY-MM-DD HH:MM:SS UTC".
  const times = [...text.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\S+) (\S+) UTC/g)]
    .map((m) => Date.parse(`${m[1]}T${m[2]}Z`));
  assert.equal(times.length, n, text);
  return times;
}

Deno.test({
  name:
    "demo scheduler files: systemd-analyze computes the same fire times from the unit calendars (DST nights too)",
  ignore: new Deno.Command("sh", { args: ["-c", "command -v systemd-analyze"] }).outputSync().code !== 0,
}, () => {
  const bases = ["2026-03-02T10:58:00Z", "2026-03-29T00:30:00Z", "2026-10-25T00:30:00Z"].map(Date.parse);
  let compared = 0;
  for (const file of [SINGLE, LOCAL, REMOTE]) {
    const config = _config(file);
    for (const item of config.items) {
      const [calendar, ...more] = cronToOnCalendar(item.spec, config.timezone);
      assert.deepEqual(more, [], `${item.id}: one OnCalendar line`);
      for (const base of bases) {
        const ours = nextFires(item.spec, config.timezone, base, 40);
        assert.deepEqual(
          _systemdElapses(calendar!, base, 40).map((t) => new Date(t).toISOString()),
          ours.map((t) => new Date(t).toISOString()),
          `${file} ${item.id} ${calendar} from ${new Date(base).toISOString()}`,
        );
        compared++;
      }
    }
  }
  assert.equal(compared, 15);
});

Deno.test("schedule run on the singleflow demo file: the slot's run fails, a re-fire of that slot resumes it", async () => {
  await using dir = await tempDir("af-demosched-");
  const root = dir.path;
  const runId = "demo_every_5m-20260302T1105Z"; // 12:05 CET
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
    NO_COLOR: "1",
    TMPDIR: root,
    AETHERFLOW_WORK_ROOT: join(root, "work"),
    DB_URL: `sqlite:///${join(root, "db", "demo.sqlite")}`,
    AETHERFLOW_PROFILES_FILE: join(ROOT, "examples/singleflow/profiles.yaml"),
    // Hidden scaled clock (docs/scheduling.md): it starts one scheduler second before 12:05 CET and runs at ×2,
    // so the 12:05 slot fires half a real second in and the next one is 150 real seconds away.
    AETHERFLOW_SCHEDULER_TIME_SCALE: "2",
    AETHERFLOW_SCHEDULER_START: "2026-03-02T11:04:59Z",
  };
  const fire = async (rc: number): Promise<string> => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", MAIN, "schedule", "run", SINGLE, "--grace-seconds", "20"],
      cwd: ROOT, // the file's paths are relative to the working directory
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let text = "";
    const pump = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of child.stderr) text += dec.decode(chunk, { stream: true });
    })();
    try {
      await waitUntil(
        () => text.includes(`Run ${runId} of item demo_every_5m finished rc=`) || undefined,
        `the run of ${runId}:\n${text}`,
        120_000,
      );
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      await child.status;
      await pump;
    }
    assert.match(text, new RegExp(`Run ${runId} of item demo_every_5m finished rc=${rc}\\b`), text);
    assert.match(text, new RegExp(`schedule_fire item_id=demo_every_5m run_id=${runId}`), text);
    return text;
  };
  const state = join(root, "demo_state/demo_flow.sqlite");
  const jobs = () =>
    stateRows(state, `SELECT job_id, status FROM job_runs WHERE run_id = '${runId}' ORDER BY job_id`)
      .map((r) => `${r.job_id}=${r.status}`);

  // 1st fire: the database folder does not exist yet, so the extract fails (the demo's intended first failure).
  await fire(1);
  assert.deepEqual(jobs(), ["extract_only=FAILED", "gate=SUCCESS"]);
  assert.ok(
    (await Deno.stat(join(root, "demo_work/demo_flow/gate", runId))).isDirectory,
    "the run's job dir",
  );

  // Re-fire of the same slot (a restarted scheduler at the same time): same run id, gate is not run again.
  await Deno.mkdir(join(root, "db"));
  const second = await fire(0);
  assert.match(second, /Step skip \(resume\) step_id=check prev=SUCCESS/);
  assert.deepEqual(jobs(), ["extract_only=SUCCESS", "gate=SUCCESS"]);
  assert.deepEqual(stateRows(state, "SELECT DISTINCT run_id FROM job_runs").map((r) => r.run_id), [runId]);
  assert.equal(
    (await Deno.readTextFile(join(root, "demo_work/demo_flow/extract_only", runId, "artifacts/data.tsv")))
      .replace(/\r?\n$/, ""),
    "COL\n1",
  );
});
