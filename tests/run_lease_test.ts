// One invocation per run id at a time (failure-recovery.md "Two invocations of one run id"): real processes,
// real SQLite. A second `run --run-id R` while R is running is refused and writes nothing; a lease whose holder
// was SIGKILLed (its pid is gone on this host) is taken over at once.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { demoFlow, MAIN, runCli, stateRows, tempDir } from "./_helpers.ts";
import { StateStore } from "../engine/state/mod.ts";

function _flow(dir: string, script: string): string {
  return `flow:
  id: lease
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
jobs:
  - id: a
    steps:
      - id: s
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

function _spawn(flow: string, output: "piped" | "null" = "piped"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R"],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
    },
    clearEnv: true,
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
}

async function _lines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l !== "");
}

function _busy(pid: number | string, host = Deno.hostname()): string {
  return `Error: Run R is already running (host ${host}, pid ${pid}); wait for it or stop it first\n`;
}

/** A state DB with its schema, and a hand-made lease row for run R. */
function _plantLease(dir: string, host: string, pid: number, expiresAt: number): void {
  StateStore.open(`${dir}/state.sqlite`).close();
  const db = new DatabaseSync(`${dir}/state.sqlite`);
  try {
    db.prepare("INSERT INTO locks (key, owner, expires_at, host, pid) VALUES ('run:R', 'R', ?, ?, ?)")
      .run(expiresAt, host, pid);
  } finally {
    db.close();
  }
}

function _nowS(): number {
  return Math.floor(Date.now() / 1000);
}

Deno.test("two concurrent runs of one run id: exactly one runs the step, the other exits 1 and writes nothing", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const flow = `${d}/f.yaml`;
  // The step holds until the test says so (at most ~60 s), so the overlap does not depend on timing.
  await Deno.writeTextFile(
    flow,
    _flow(
      d,
      `echo $$ >> ${d}/log; i=0; while [ ! -f ${d}/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
    ),
  );
  const runs = [_spawn(flow), _spawn(flow)];
  const done = runs.map((c, i) => c.output().then((out) => ({ i, out })));
  // The first to finish must be the refused one; without the lease both would enter the step.
  let first: { i: number; out: Deno.CommandOutput } | undefined;
  while (first === undefined) {
    first = await Promise.race([...done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
    if ((await _lines(`${d}/log`)).length > 1) break;
  }
  await Deno.writeTextFile(`${d}/go`, "");
  const [a, b] = await Promise.all(done);
  assert.equal((await _lines(`${d}/log`)).length, 1, "the step ran exactly once");
  assert.ok(first !== undefined);
  const loser = first.out;
  const winner = (first.i === a!.i ? b : a)!.out;
  const dec = new TextDecoder();
  assert.equal(winner.code, 0, dec.decode(winner.stderr));
  assert.equal(loser.code, 1);
  assert.equal(dec.decode(loser.stderr).split("\n").filter((l) => l.startsWith("Error:")).length, 1);
  assert.match(
    dec.decode(loser.stderr),
    /^Error: Run R is already running \(host .+, pid \d+\); wait for it or stop it first$/m,
  );
  assert.doesNotMatch(dec.decode(loser.stderr), /run_start/, "refused before run_start");
  // The loser did not bump the run record: one invocation, finished by the winner; no lease left behind.
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT status, invocations FROM runs"), [
    { status: "SUCCESS", invocations: 1 },
  ]);
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT key FROM locks"), []);
});

Deno.test("a lease held by a live pid on this host is respected; once the pid is gone it is taken over", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.writeTextFile(`${d}/f.yaml`, _flow(d, `echo $$ >> ${d}/log`));
  const sleeper = new Deno.Command("sleep", { args: ["120"], stdout: "null", stderr: "null" }).spawn();
  try {
    _plantLease(d, Deno.hostname(), sleeper.pid, _nowS() + 600);
    const refused = await runCli(["run", `${d}/f.yaml`, "--run-id", "R"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr, _busy(sleeper.pid));
    // Nothing of run R was written, and the holder's row is untouched.
    assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT run_id FROM runs"), []);
    assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT job_id FROM job_runs"), []);
    assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT owner, pid FROM locks WHERE key = 'run:R'"), [
      { owner: "R", pid: sleeper.pid },
    ]);
    assert.deepEqual(await _lines(`${d}/log`), []);
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
  // The holder is gone (a stale lease from a dead pid on this host): taken over without waiting for expiry.
  const ok = await runCli(["run", `${d}/f.yaml`, "--run-id", "R"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await _lines(`${d}/log`)).length, 1);
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT key FROM locks"), []);
});

Deno.test("a lease held from another host is respected until it expires", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.writeTextFile(`${d}/f.yaml`, _flow(d, `echo $$ >> ${d}/log`));
  // pid 999999999 does not exist here, but on another host it cannot be checked.
  _plantLease(d, "elsewhere.example", 999_999_999, _nowS() + 600);
  const refused = await runCli(["run", `${d}/f.yaml`, "--run-id", "R"]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stderr, _busy(999_999_999, "elsewhere.example"));
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT run_id FROM runs"), []);
  const db = new DatabaseSync(`${d}/state.sqlite`);
  db.prepare("UPDATE locks SET expires_at = ? WHERE key = 'run:R'").run(_nowS() - 1);
  db.close();
  const ok = await runCli(["run", `${d}/f.yaml`, "--run-id", "R"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await _lines(`${d}/log`)).length, 1);
});

Deno.test("a run whose runner was SIGKILLed resumes at once (its lease's pid is gone)", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const flow = `${d}/f.yaml`;
  await Deno.writeTextFile(
    flow,
    _flow(d, `echo $$ >> ${d}/log; if [ -f ${d}/resume ]; then exit 0; fi; sleep 60`),
  );
  // No pipes: the orphaned step would hold them open.
  const child = _spawn(flow, "null");
  let pgid = 0;
  for (let i = 0; i < 1200 && pgid === 0; i++) {
    pgid = Number((await _lines(`${d}/log`))[0] ?? 0);
    if (pgid === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(pgid > 0, "the step started");
  assert.equal(stateRows(`${d}/state.sqlite`, "SELECT key FROM locks").length, 1, "the lease is held");
  child.kill("SIGKILL");
  await child.status;
  try {
    Deno.kill(-pgid, "SIGKILL"); // the orphaned step, as a crashed host would lose it
  } catch {
    // already gone
  }
  await Deno.writeTextFile(`${d}/resume`, "");
  // The lease row is still there (nothing ran on SIGKILL), well within its TTL.
  assert.equal(stateRows(`${d}/state.sqlite`, "SELECT key FROM locks").length, 1);
  const res = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT status, invocations FROM runs"), [
    { status: "SUCCESS", invocations: 2 },
  ]);
  assert.deepEqual(stateRows(`${d}/state.sqlite`, "SELECT key FROM locks"), []);
});

Deno.test("run refuses a run id that another flow recorded in the same state DB, writing nothing (exit 2)", async () => {
  await using dir = await tempDir();
  const flowA = `${dir.path}/a.yaml`;
  const flowB = `${dir.path}/b.yaml`;
  const jobs = "  - id: j\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n";
  await Deno.writeTextFile(flowA, demoFlow(dir.path, jobs));
  await Deno.writeTextFile(flowB, demoFlow(dir.path, jobs).replace("id: demo", "id: other"));
  assert.equal((await runCli(["run", flowA, "--run-id", "R"])).code, 0);
  const before = stateRows(`${dir.path}/state.sqlite`, "SELECT job_id, status, updated_at FROM job_runs");
  const r = await runCli(["run", flowB, "--run-id", "R"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /Run R in .* belongs to flow 'demo', not 'other'/);
  assert.doesNotMatch(r.stderr, /run_start/);
  assert.deepEqual(
    stateRows(`${dir.path}/state.sqlite`, "SELECT job_id, status, updated_at FROM job_runs"),
    before,
  );
  assert.deepEqual(stateRows(`${dir.path}/state.sqlite`, "SELECT flow_id, invocations FROM runs"), [
    { flow_id: "demo", invocations: 1 },
  ]);
  assert.deepEqual(stateRows(`${dir.path}/state.sqlite`, "SELECT key FROM locks"), []);
});
