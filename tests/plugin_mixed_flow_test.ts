// A flow mixing built-in steps (check_items, external.process), plugin steps (t_echo, t_failonce) and a plugin
// connector (t_conn -> t_resources), through the real CLI with a lock file beside the flow (issue 5): killed by
// SIGTERM midway, resumed with the same --run-id (failing once more in a plugin step), resumed again to the end.
// Each invocation logs like any other run (JSON lines, the docs/observability.md events) and the run record lists the plugins
// with their sha256.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, runCli, stateRows, tempDir } from "./_helpers.ts";
import { PluginCache } from "../testdata/acceptance/kit.ts";

const PLUGINS = new PluginCache();
const PLUGIN_NAMES = ["t_echo", "t_failonce", "t_conn", "t_resources"] as const;

function flowText(dir: string): string {
  return `flow:
  id: mixed
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  r1: {kind: test, driver: t_resources, config: {base: "http://x"}}
jobs:
  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1, 2, 3]}, outputs: {num: "{{result.count}}"}}
      - {id: echo, type: t_echo, inputs: {num: "{{steps.count.count}}"}}
      - id: proc
        type: external.process
        inputs:
          command:
            - sh
            - -c
            - 'if [ -f "$AETHERFLOW_OUTPUT_DIR/proc.done" ]; then echo resumed; exit 0; fi; touch "$AETHERFLOW_OUTPUT_DIR/proc.done"; echo started; sleep 30'
          log: {stdout: capture}
          kill_grace_seconds: 1
      - {id: once, type: t_failonce, inputs: {marker: once.done, num: "{{steps.echo.num}}"}}
  - id: load
    depends_on: [extract]
    steps:
      - {id: call, type: t_conn, inputs: {resource: r1, args: {num: "{{jobs.extract.outputs.num}}"}}}
`;
}

const ENV = { AETHERFLOW_LOG_FORMAT: "json" };

interface Logs {
  records: Record<string, unknown>[];
  /** stderr lines that are not JSON objects. */
  other: string[];
}

function parseLogs(stderr: string): Logs {
  const logs: Logs = { records: [], other: [] };
  for (const line of stderr.split("\n")) {
    if (line === "") continue;
    try {
      const value = JSON.parse(line);
      if (value !== null && typeof value === "object" && !Array.isArray(value)) logs.records.push(value);
      else logs.other.push(line);
    } catch {
      logs.other.push(line);
    }
  }
  return logs;
}

/** The log records, after checking that every stderr line is a JSON object (docs/observability.md). */
function jsonRecords(stderr: string): Record<string, unknown>[] {
  const logs = parseLogs(stderr);
  assert.deepEqual(logs.other, [], `not JSON log lines:\n${stderr}`);
  for (const r of logs.records) assert.equal(typeof r.ts_ms, "number", JSON.stringify(r));
  return logs.records;
}

function events(records: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return records.filter((r) => r.event === name);
}

function steps(records: Record<string, unknown>[], name: string): string[] {
  return events(records, name).map((r) => `${r.job_id}/${r.step_id}`);
}

/** `aetherflow run` that is sent SIGTERM once the external process has started. */
async function runAndTerminate(flow: string): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      "--v8-flags=--wasm-max-mem-pages=4096",
      MAIN,
      "run",
      flow,
      "--run-id",
      "R",
    ],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      ...ENV,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  let signalled = false;
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    stderr += chunk;
    if (!signalled && stderr.includes('step_id=proc line=started"')) {
      child.kill("SIGTERM");
      signalled = true;
    }
  }
  const status = await child.status;
  return { code: status.code, stderr };
}

Deno.test("a mixed flow killed midway resumes by run id, logs like any run and records its plugins", async () => {
  await using dir = await tempDir();
  const shas = await PLUGINS.pinBeside(dir.path, PLUGIN_NAMES);
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(flow, flowText(dir.path));
  const db = join(dir.path, "state.sqlite");
  const jobRows = () => stateRows(db, "SELECT job_id, status, error FROM job_runs ORDER BY job_id");
  const stepRows = () => stateRows(db, "SELECT step_id, status FROM step_runs ORDER BY updated_at, step_id");

  // 1. SIGTERM while the external process sleeps: the job fails, the rest of the run is not processed.
  const first = await runAndTerminate(flow);
  assert.equal(first.code, 1, first.stderr);
  const r1 = jsonRecords(first.stderr);
  assert.deepEqual(events(r1, "run_start").map((e) => [e.flow_id, e.run_id]), [["mixed", "R"]]);
  assert.deepEqual(steps(r1, "step_start"), ["extract/count", "extract/echo", "extract/proc"]);
  assert.deepEqual(steps(r1, "step_end"), ["extract/count", "extract/echo"]);
  assert.deepEqual(events(r1, "job_end").map((e) => [e.job_id, e.status]), [["extract", "FAILED"]]);
  assert.deepEqual(events(r1, "run_summary").map((e) => e.status_counts), [{ FAILED: 1 }]);
  assert.ok(r1.some((r) => r.message === 'ECHO extract echo {"num":3}'), first.stderr);
  const [extract] = jobRows();
  assert.equal(extract?.status, "FAILED");
  assert.match(String(extract?.error), /terminated by SIGTERM/);
  assert.equal(jobRows().length, 1);
  assert.deepEqual(stepRows().map((s) => s.step_id), ["count", "echo"]);

  // 2. Same run id: done steps are skipped, the process step runs again, the plugin step fails once.
  const second = await runCli(["run", flow, "--run-id", "R"], { env: ENV });
  assert.equal(second.code, 1, second.stderr);
  const r2 = jsonRecords(second.stderr);
  const resumed = r2.filter((r) => String(r.message ?? "").startsWith("Step skip (resume)")).map((r) =>
    r.message
  );
  assert.deepEqual(resumed, [
    "Step skip (resume) step_id=count prev=SUCCESS",
    "Step skip (resume) step_id=echo prev=SUCCESS",
  ]);
  assert.deepEqual(steps(r2, "step_start"), ["extract/proc", "extract/once"]);
  assert.deepEqual(steps(r2, "step_end"), ["extract/proc"]);
  assert.ok(
    r2.some((r) => r.message === "Job failed: Plugin t_failonce@1.0.0 failed: marker created; failing once"),
  );
  assert.ok(r2.some((r) => r.message === 'Job blocked job_id=load depends_on=["extract"]'), second.stderr);
  assert.deepEqual(events(r2, "run_summary").map((e) => e.status_counts), [{ FAILED: 1, BLOCKED: 1 }]);

  // 3. Again: only the failed plugin step and the dependent job run; the connector sees the promoted output.
  const third = await runCli(["run", flow, "--run-id", "R"], { env: ENV });
  assert.equal(third.code, 0, third.stderr);
  const r3 = jsonRecords(third.stderr);
  assert.deepEqual(steps(r3, "step_start"), ["extract/once", "load/call"]);
  assert.deepEqual(steps(r3, "step_end"), ["extract/once", "load/call"]);
  assert.deepEqual(events(r3, "job_end").map((e) => [e.job_id, e.status]), [
    ["extract", "SUCCESS"],
    ["load", "SUCCESS"],
  ]);
  const summary = events(r3, "run_summary")[0]!;
  assert.deepEqual(Object.keys(summary), [
    "ts_ms",
    "ts",
    "level",
    "logger",
    "event",
    "flow_id",
    "run_id",
    "duration_ms",
    "status_counts",
    "jobs",
    "exit_code",
  ]);
  assert.deepEqual(summary.status_counts, { SUCCESS: 2 });
  assert.deepEqual(jobRows().map((j) => [j.job_id, j.status]), [["extract", "SUCCESS"], ["load", "SUCCESS"]]);
  assert.deepEqual(stepRows().map((s) => [s.step_id, s.status]).sort(), [
    ["call", "SUCCESS"],
    ["count", "SUCCESS"],
    ["echo", "SUCCESS"],
    ["once", "SUCCESS"],
    ["proc", "SUCCESS"],
  ]);
  const call = stateRows(db, "SELECT output_json FROM step_runs WHERE step_id = 'call'")[0]!;
  assert.deepEqual(JSON.parse(String(call.output_json)).response.result.args, { num: 3 });
  const proc = stateRows(db, "SELECT output_json FROM step_runs WHERE step_id = 'proc'")[0]!;
  assert.equal(JSON.parse(String(proc.output_json)).stdout, "resumed\n");

  // The run record: one run, three invocations, every plugin with its sha256.
  const show = await runCli(["state", "show", "R", "--db", db, "--json"]);
  assert.equal(show.code, 0, show.stderr);
  const { run } = JSON.parse(show.stdout);
  assert.equal(run.status, "SUCCESS");
  assert.equal(run.exit_code, 0);
  assert.equal(run.invocations, 3);
  assert.deepEqual(
    run.plugins,
    PLUGIN_NAMES.map((name) => ({ name, version: "1.0.0", sha256: shas[name] })),
  );
});

Deno.test({
  name: "every stderr line of a JSON-format run with a WASI plugin is a JSON object (docs/observability.md)",
  // plugins/host/_instance.ts silences Node's WASI ExperimentalWarning, which Extism's worker printed.
  fn: async () => {
    await using dir = await tempDir();
    await PLUGINS.pinBeside(dir.path, ["t_failonce"]);
    const flow = join(dir.path, "f.yaml");
    await Deno.writeTextFile(
      flow,
      `flow: {id: w, workspace: {root: ${dir.path}/ws}, state: {path: ${dir.path}/state.sqlite}}
jobs:
  - id: a
    steps:
      - {id: s, type: t_failonce, inputs: {marker: m}}
`,
    );
    const r = await runCli(["run", flow, "--run-id", "R"], { env: ENV });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(parseLogs(r.stderr).other, []);
  },
});
