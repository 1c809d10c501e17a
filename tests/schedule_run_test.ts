// `schedule run` end to end: real child processes, the hidden fast clock (AETHERFLOW_SCHEDULER_TIME_SCALE=60:
// one scheduler minute per real second) and, where the child must misbehave on purpose, the
// AETHERFLOW_SCHEDULER_SELF_CMD test hook in place of "the same program".
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, tempDir, waitUntil } from "./_helpers.ts";
import { StateStore } from "../engine/state/mod.ts";

const START = "2026-03-01T12:00:58Z"; // first fire at 12:01 (2 scheduler seconds in)

interface Live {
  child: Deno.ChildProcess;
  lines: string[];
  waitFor(pred: (line: string) => boolean, what: string): Promise<string>;
  done: Promise<{ code: number; stderr: string }>;
}

function _startScheduler(dir: string, args: string[], env: Record<string, string>): Live {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "schedule", "run", ...args],
    cwd: dir,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
      AETHERFLOW_SCHEDULER_TIME_SCALE: "60",
      AETHERFLOW_SCHEDULER_START: START,
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const pump = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pred(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  })();
  const done = (async () => {
    const status = await child.status;
    await pump;
    return { code: status.code, stderr: lines.join("\n") };
  })();
  return {
    child,
    lines,
    done,
    waitFor(pred, what) {
      const hit = lines.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      // A safety net against a hung test, not a timing assertion.
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}:\n${lines.join("\n")}`)),
          60_000,
        );
        waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        done.then(() => reject(new Error(`scheduler exited before ${what}:\n${lines.join("\n")}`)), () => {});
      });
    },
  };
}

function _alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function _pids(file: string): Promise<number[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split(/\s+/).filter((s) => s !== "").map(Number);
}

Deno.test("schedule run: fires, skips overlap, drains on SIGTERM with no orphan", async () => {
  await using dir = await tempDir("af-sched-");
  await Deno.writeTextFile(
    join(dir.path, "scheduler.yaml"),
    // A generous misfire grace (one real minute at ×60): a slow start on a loaded machine fires late, not never.
    "timezone: UTC\nitems:\n  - {id: every_min, cron: '* * * * *', flow_yaml: flows/f.yaml, " +
      "misfire_grace_time: 3600}\n",
  );
  // The child records its argv and pid, then sleeps (exec: SIGTERM reaches sleep itself) longer than one period.
  const script = 'echo "$*" >> fires.log; echo $$ >> pids.log; exec sleep 30';
  const live = _startScheduler(dir.path, ["scheduler.yaml", "--grace-seconds", "20"], {
    AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify(["/bin/sh", "-c", script, "sh"]),
  });
  try {
    // Which slot fires first depends on how fast the scheduler starts (slots a slow start missed are coalesced),
    // so the test reads it from the log; loop_test.ts pins the slot arithmetic with a fake clock.
    const fire = await live.waitFor((l) => l.includes("schedule_fire item_id=every_min "), "first fire");
    const runId = /run_id=(every_min-2026\d{4}T\d{4}Z)/.exec(fire)?.[1] ?? "";
    const firedAt = /scheduled=(\S+)/.exec(fire)?.[1] ?? "";
    assert.notEqual(runId, "", fire);
    const skip = await live.waitFor(
      (l) => l.includes("schedule_skip item_id=every_min reason=overlap"),
      "overlap",
    );
    live.child.kill("SIGTERM");
    const { code, stderr } = await live.done;
    assert.equal(code, 0, stderr);
    const fires = (await Deno.readTextFile(join(dir.path, "fires.log"))).trim().split("\n");
    assert.deepEqual(fires, [`run --flow-yaml flows/f.yaml --run-id ${runId}`]);
    const skippedAt = /scheduled=(\S+)/.exec(skip)?.[1] ?? "";
    assert.ok(Date.parse(skippedAt) > Date.parse(firedAt), `${skip} after ${fire}`);
    assert.match(stderr, /WARNING aetherflow.scheduler - Execution of item every_min skipped/);
    assert.match(stderr, new RegExp(`schedule_finish item_id=every_min run_id=${runId} rc=143`));
    assert.match(stderr, /schedule_stop killed=0/);
    for (const pid of await _pids(join(dir.path, "pids.log"))) {
      assert.equal(_alive(pid), false, `pid ${pid} survived`);
    }
  } finally {
    try {
      live.child.kill("SIGKILL");
    } catch { /* already exited */ }
    await live.done;
  }
});

Deno.test("schedule run: a child ignoring SIGTERM is killed after the grace, grandchildren too, state repaired", async () => {
  await using dir = await tempDir("af-sched-");
  const db = join(dir.path, "state.sqlite");
  const runId = "stubborn-20260301T1201Z";
  const store = StateStore.open(db);
  store.beginRun({ runId, flowId: "demo", flowYaml: "f.yaml", version: "test", host: "h", pid: 1 });
  store.setJobStatus("job_a", runId, "RUNNING");
  store.close();
  await Deno.writeTextFile(
    join(dir.path, "scheduler.yaml"),
    "timezone: UTC\nitems:\n  - {id: stubborn, cron: '* * * * *', flow_yaml: f.yaml}\n",
  );
  // Ignores SIGTERM, starts a grandchild in its own session (escapes a process-group kill), announces the state DB
  // the way `run` does (run_start ... state=<path>), then waits forever.
  const script = [
    "trap '' TERM",
    "setsid sleep 300 & echo $! >> pids.log",
    "sleep 300 & echo $! >> pids.log",
    "echo $$ >> pids.log",
    `echo "2026-03-01 12:01:00.000 INFO aetherflow.flow.demo - run_start flow_id=demo run_id=${runId} yaml=f.yaml state=${db}" >&2`,
    "wait",
  ].join("\n");
  const live = _startScheduler(dir.path, ["scheduler.yaml", "--grace-seconds", "1"], {
    AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify(["/bin/sh", "-c", script, "sh"]),
  });
  try {
    await live.waitFor(
      (l) => l.startsWith("[stubborn] ") && l.includes("run_start"),
      "the child's run_start",
    );
    await waitUntil(
      async () => (await _pids(join(dir.path, "pids.log"))).length >= 3 || undefined,
      "three pids in pids.log",
    );
    live.child.kill("SIGTERM");
    const { code, stderr } = await live.done;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /Killing run stubborn-20260301T1201Z of item stubborn/);
    assert.match(stderr, /schedule_stop killed=1/);
    for (const pid of await _pids(join(dir.path, "pids.log"))) {
      assert.equal(_alive(pid), false, `pid ${pid} survived`);
    }
    const after = StateStore.open(db);
    try {
      assert.equal(after.getRun(runId)?.status, "FAILED");
      assert.equal(after.getRun(runId)?.error, "killed after scheduler shutdown grace");
      assert.deepEqual(after.listJobRecords(runId).map((j) => [j.jobId, j.status, j.error]), [
        ["job_a", "FAILED", "killed after scheduler shutdown grace"],
      ]);
    } finally {
      after.close();
    }
  } finally {
    try {
      live.child.kill("SIGKILL");
    } catch { /* already exited */ }
    await live.done;
  }
});

Deno.test("schedule run: fires the real `run` command of the same program (run id from the slot)", async () => {
  await using dir = await tempDir("af-sched-");
  const db = join(dir.path, "state.sqlite");
  await Deno.writeTextFile(
    join(dir.path, "f.yaml"),
    `flow:\n  id: demo\n  workspace: {root: ${
      join(dir.path, "ws")
    }, cleanup_policy: never}\n  state: {path: ${db}}\n` +
      "jobs:\n  - id: job_a\n    steps:\n      - {id: s1, type: check_items, inputs: {items: [1]}}\n",
  );
  await Deno.writeTextFile(
    join(dir.path, "scheduler.yaml"),
    "timezone: UTC\nitems:\n  - {id: real, cron: '* * * * *', flow_yaml: f.yaml}\n",
  );
  const live = _startScheduler(dir.path, ["scheduler.yaml"], {});
  try {
    const line = await live.waitFor(
      (l) => l.includes("INFO aetherflow.scheduler - Run real-2026"),
      "a finished run",
    );
    live.child.kill("SIGTERM");
    const { code, stderr } = await live.done;
    assert.match(line, /finished rc=0$/, stderr);
    assert.equal(code, 0, stderr);
    const runId = /Run (real-\d{8}T\d{4}Z)/.exec(line)?.[1] as string;
    const store = StateStore.open(db);
    try {
      assert.equal(store.getRun(runId)?.status, "SUCCESS");
      assert.deepEqual(store.listJobRecords(runId).map((j) => j.status), ["SUCCESS"]);
    } finally {
      store.close();
    }
  } finally {
    try {
      live.child.kill("SIGKILL");
    } catch { /* already exited */ }
    await live.done;
  }
});
