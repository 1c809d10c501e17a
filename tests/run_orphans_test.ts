// A runner killed with SIGKILL cannot stop its step's process group (docs/failure-recovery.md "Process groups
// left running"): the group is recorded in state before the step reports it, `runs list` / `state show` mark the
// run stale, and the resume with the same run id stops the old group (logged by pgid) before the step re-runs,
// so exactly one copy runs to completion. A group recorded on another host is never touched.
import assert from "node:assert/strict";
import { MAIN, runCli, stateRows, tempDir, waitUntil } from "./_helpers.ts";

/** The step: notes its pid (= its process-group id), sleeps unless `fast` exists, then notes that it finished. */
function _flow(dir: string): string {
  const script = `echo $$ >> ${dir}/pids; [ -e ${dir}/fast ] || sleep 300; echo $$ >> ${dir}/done`;
  return `flow:
  id: orphans
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
jobs:
  - id: a
    steps:
      - id: long
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
          kill_grace_seconds: 20
`;
}

function _env(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
    NO_COLOR: "1",
    ...extra,
  };
}

/** Live (non-zombie) members of group `pgid`: containers often have no init to reap zombies. */
function _groupAlive(pgid: number): boolean {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let stat = "";
    try {
      stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
  }
  return false;
}

function _lines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

/**
 * Start `run --run-id R` as a subprocess, wait (with a deadline) until its step's group runs and is recorded in
 * state, then SIGKILL the runner. Returns the orphaned group's pgid; `cleanup` kills whatever is left.
 */
async function _killedRun(dir: string, env: Record<string, string>, cleanup: number[]): Promise<number> {
  const flow = `${dir}/f.yaml`;
  await Deno.writeTextFile(flow, _flow(dir));
  // No pipes: the orphan inherits the runner's stdout/stderr and would hold a pipe open forever.
  const runner = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R"],
    env: _env(env),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const pgid = Number(await waitUntil(() => _lines(`${dir}/pids`)[0], "the step's child to start"));
    cleanup.push(pgid);
    // Recorded durably before the step reports its child running: wait for the row, not for a log line.
    const row = await waitUntil(() => {
      try {
        return stateRows(`${dir}/state.sqlite`, "SELECT pgid, host, runner_pid FROM process_groups")[0];
      } catch {
        return undefined; // the table is being created
      }
    }, "the process_groups row");
    assert.deepEqual([Number(row.pgid), Number(row.runner_pid)], [pgid, runner.pid]);
  } finally {
    runner.kill("SIGKILL");
    await runner.status;
  }
  return Number(_lines(`${dir}/pids`)[0]);
}

function _killGroups(pgids: number[]): void {
  for (const pgid of pgids) {
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

Deno.test("run resumed after SIGKILL stops the step's orphaned process group first; one copy completes", async () => {
  await using dir = await tempDir();
  const cleanup: number[] = [];
  try {
    const pgid = await _killedRun(dir.path, {}, cleanup);
    assert.equal(_groupAlive(pgid), true, "the runner's SIGKILL leaves its child's group running");

    const list = await runCli(["runs", "list", `${dir.path}/f.yaml`]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^R\s+orphans\s+RUNNING \(stale\)/m);
    const show = await runCli(["state", "show", "R", "--db", `${dir.path}/state.sqlite`]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /status: RUNNING \(stale: no live process owns it\)/);

    await Deno.writeTextFile(`${dir.path}/fast`, "");
    const resumed = await runCli(["run", `${dir.path}/f.yaml`, "--run-id", "R"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(_groupAlive(pgid), false, "the old group is gone");
    const stopping = resumed.stderr.indexOf(`Stopping process group pgid=${pgid} left running`);
    const stopped = resumed.stderr.indexOf(`Process group pgid=${pgid} stopped (SIGTERM) step_id=long`);
    const rerun = resumed.stderr.indexOf("external_process_start step_id=long");
    assert.ok(stopping >= 0 && stopped > stopping, resumed.stderr);
    assert.ok(rerun > stopped, "stopped before the step is re-run");
    const pids = _lines(`${dir.path}/pids`);
    assert.equal(pids.length, 2, "started twice: the killed invocation and the resume");
    assert.deepEqual(_lines(`${dir.path}/done`), [pids[1]], "exactly one copy ran to completion");
    assert.match(
      resumed.stderr,
      new RegExp(`external_process_running step_id=long attempt=1 pgid=${pids[1]}`),
    );
    assert.deepEqual(stateRows(`${dir.path}/state.sqlite`, "SELECT * FROM process_groups"), []);
    const run = stateRows(`${dir.path}/state.sqlite`, "SELECT status, invocations FROM runs")[0]!;
    assert.deepEqual([run.status, Number(run.invocations)], ["SUCCESS", 2]);
  } finally {
    _killGroups(cleanup);
  }
});

Deno.test("a group recorded on another host is not touched on resume: a WARNING names it", async () => {
  await using dir = await tempDir();
  const cleanup: number[] = [];
  try {
    const lease = { AETHERFLOW_LEASE_SECONDS: "3" };
    const pgid = await _killedRun(dir.path, { AETHERFLOW_HOST_ID: "host-a", ...lease }, cleanup);
    await Deno.writeTextFile(`${dir.path}/fast`, "");
    // host-a's lease cannot be checked from host-b: the resume waits for it to expire (3 s).
    const resumed = await waitUntil(async () => {
      const r = await runCli(["run", `${dir.path}/f.yaml`, "--run-id", "R"], {
        env: { AETHERFLOW_HOST_ID: "host-b", ...lease },
      });
      return /is already running/.test(r.stderr) ? undefined : r;
    }, "host-a's run lease to expire");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      new RegExp(
        `WARNING .*Process group pgid=${pgid} of a previous invocation \\(job_id=a step_id=long host=host-a .*` +
          `was started on another host: it is not checked or stopped from host host-b`,
      ),
    );
    assert.equal(_groupAlive(pgid), true, "left alone");
    const pids = _lines(`${dir.path}/pids`);
    assert.deepEqual(_lines(`${dir.path}/done`), [pids[1]]);
  } finally {
    _killGroups(cleanup);
  }
});
