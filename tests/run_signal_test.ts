// SIGTERM/SIGINT handling of `aetherflow run` (docs/execution-model.md): the running step's process group is stopped, the
// interruption is recorded honestly, and a second signal exits at once.
import assert from "node:assert/strict";
import { MAIN, stateRows, tempDir, waitForLine } from "./_helpers.ts";

function _flow(dir: string, script: string, grace: number): string {
  return `flow:
  id: sig
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
jobs:
  - id: a
    steps:
      - id: wait
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
          kill_grace_seconds: ${grace}
  - id: b
    steps:
      - {id: s, type: check_items, inputs: {items: [1]}}
`;
}

function _spawn(flow: string, output: "piped" | "null" = "piped"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R"],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
    },
    clearEnv: true,
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
}

/**
 * A step that ignores SIGTERM but notes each one in `dir/term`, so the test knows the runner has acted on the
 * first signal before it sends the second (two signals sent close together may reach the runner as one).
 */
function _stubbornScript(dir: string): string {
  return `trap 'echo term >> ${dir}/term' TERM; echo $$ > ${dir}/pid; while :; do sleep 60 & wait; done`;
}

/** Whether a live (non-zombie) process is left in the group; containers often have no init to reap zombies. */
function _groupAlive(pgid: number): boolean {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = (() => {
      try {
        return Deno.readTextFileSync(`/proc/${e.name}/stat`);
      } catch {
        return "";
      }
    })();
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
  }
  return false;
}

function _rows(dir: string, sql: string): Record<string, unknown>[] {
  return stateRows(`${dir}/state.sqlite`, sql);
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`run on ${sig} stops the step's process group and records job FAILED, run FAILED, exit 1`, async () => {
    await using dir = await tempDir();
    const flow = `${dir.path}/f.yaml`;
    await Deno.writeTextFile(flow, _flow(dir.path, `echo $$ > ${dir.path}/pid; sleep 30 & wait`, 5));
    const child = _spawn(flow);
    const pgid = Number(await waitForLine(`${dir.path}/pid`));
    child.kill(sig);
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.equal(_groupAlive(pgid), false, "the step's process group must be gone");
    assert.deepEqual(_rows(dir.path, "SELECT job_id, status, error FROM job_runs"), [
      { job_id: "a", status: "FAILED", error: `terminated by ${sig}` },
    ]);
    assert.deepEqual(_rows(dir.path, "SELECT status, exit_code FROM runs"), [{
      status: "FAILED",
      exit_code: 1,
    }]);
    assert.match(stderr, /job_end flow_id=sig run_id=R job_id=a status=FAILED/);
    assert.match(stderr, new RegExp(`run_summary flow_id=sig run_id=R .* error=terminated by ${sig}$`, "m"));
  });
}

Deno.test("run exits at once on a second signal, recording the job and the run FAILED", async () => {
  await using dir = await tempDir();
  const flow = `${dir.path}/f.yaml`;
  // The step ignores SIGTERM, so the first signal would wait out its 60 s grace period.
  await Deno.writeTextFile(flow, _flow(dir.path, _stubbornScript(dir.path), 60));
  const child = _spawn(flow, "null");
  const pgid = Number(await waitForLine(`${dir.path}/pid`));
  try {
    child.kill("SIGTERM");
    await waitForLine(`${dir.path}/term`); // the runner has passed the first signal on to the step
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 1);
    // Had the runner waited out the grace period, the error would be the plain `terminated by SIGTERM`.
    assert.deepEqual(_rows(dir.path, "SELECT job_id, status, error FROM job_runs"), [{
      job_id: "a",
      status: "FAILED",
      error: "terminated by SIGTERM (second signal: exited without waiting for the step to stop)",
    }]);
    assert.deepEqual(_rows(dir.path, "SELECT status FROM runs"), [{ status: "FAILED" }]);
  } finally {
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

Deno.test("a second signal still releases the run's with_lock lease and its run lease (docs/state.md)", async () => {
  await using dir = await tempDir();
  const flow = `${dir.path}/f.yaml`;
  const script = _stubbornScript(dir.path);
  await Deno.writeTextFile(
    flow,
    `flow:
  id: sig
  workspace: {root: ${dir.path}/ws, cleanup_policy: never}
  state: {path: ${dir.path}/state.sqlite}
jobs:
  - id: a
    steps:
      - id: guarded
        type: with_lock
        inputs:
          lock_key: warehouse
          ttl_seconds: 600
          step: {type: external.process, inputs: {command: ["sh", "-c", ${
      JSON.stringify(script)
    }], kill_grace_seconds: 60}}
`,
  );
  const child = _spawn(flow, "null");
  const pgid = Number(await waitForLine(`${dir.path}/pid`));
  try {
    // The run's own lease (run:R) and the with_lock lease; both must go.
    assert.deepEqual(_rows(dir.path, "SELECT key, owner FROM locks ORDER BY key"), [
      { key: "run:R", owner: "R" },
      { key: "warehouse", owner: "R" },
    ]);
    child.kill("SIGTERM");
    await waitForLine(`${dir.path}/term`); // the runner has passed the first signal on to the step
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 1);
    assert.deepEqual(_rows(dir.path, "SELECT key FROM locks"), []);
  } finally {
    try {
      Deno.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
