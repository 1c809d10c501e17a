// Resume after the flow file changed (docs/failure-recovery.md "Resume after the flow changed", issue 9 item 4):
// the resume runs, warns naming the finished steps it reuses although their definition changed, and records the
// new flow_sha256; an unchanged flow resumes without the warning.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { demoFlow, runCli, stateRows, tempDir } from "./_helpers.ts";

const WARNING = "WARNING aetherflow.flow.demo - Flow changed since run R was last started";

function _sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function _process(id: string, script: string): string {
  return `      - id: ${id}
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
          log: {stdout: capture, stderr: capture}
        outputs:
          ${id}_out: "{{result.stdout}}"
`;
}

// extract.pull, extract.count and load.copy finish; load.publish fails.
function _jobs(pull: string, publish: string, countStyle: "flow" | "block" = "flow"): string {
  const count = countStyle === "flow"
    ? "      - {id: count, type: check_items, inputs: {items: [1, 2], min_count: 1}}\n"
    : "      # same definition, other layout and key order\n      - id: count\n        inputs:\n" +
      "          min_count: 1\n          items:\n            - 1\n            - 2\n        type: check_items\n";
  return `  - id: extract
    steps:
${_process("pull", pull)}${count}  - id: load
    depends_on: [extract]
    steps:
${_process("copy", "echo copied")}${_process("publish", publish)}`;
}

function _warnings(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.includes("Flow changed since run"));
}

Deno.test("resume after the flow changed warns naming exactly the changed finished steps, records the new sha256", async () => {
  await using dir = await tempDir();
  const flow = `${dir.path}/f.yaml`;
  const v1 = demoFlow(dir.path, _jobs("echo pulled-v1", "exit 3"));
  await Deno.writeTextFile(flow, v1);
  const first = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(first.code, 1, first.stderr);
  assert.deepEqual(_warnings(first.stderr), []);

  // The fix (publish) plus an edit of a finished step (pull); count only changes its layout, copy nothing.
  const v2 = demoFlow(dir.path, _jobs("echo pulled-v2", "echo published", "block"));
  await Deno.writeTextFile(flow, v2);
  const resumed = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const warnings = _warnings(resumed.stderr);
  assert.equal(warnings.length, 1, resumed.stderr);
  assert.ok(
    warnings[0]!.endsWith(
      `${WARNING} (flow_sha256 ${_sha256(v1).slice(0, 12)} -> ${_sha256(v2).slice(0, 12)}): finished steps ` +
        "reused with their old outputs although their definition changed: extract.pull",
    ),
    warnings[0],
  );
  // The old output is what was reused: pull did not run again, publish did.
  assert.ok(resumed.stderr.includes("Step skip (resume) step_id=pull prev=SUCCESS"), resumed.stderr);
  assert.ok(!resumed.stderr.includes("step_start flow_id=demo run_id=R job_id=extract"), resumed.stderr);
  assert.ok(resumed.stderr.includes("step_start flow_id=demo run_id=R job_id=load step_id=publish"));
  const db = `${dir.path}/state.sqlite`;
  assert.deepEqual(stateRows(db, "SELECT flow_sha256, status, invocations FROM runs WHERE run_id = 'R'"), [
    { flow_sha256: _sha256(v2), status: "SUCCESS", invocations: 2 },
  ]);
  assert.deepEqual(
    stateRows(
      db,
      "SELECT json_extract(promoted_json, '$.pull_out') AS v FROM step_runs WHERE step_id = 'pull'",
    ),
    [{ v: "pulled-v1\n" }],
  );

  // The warning is in the run's log too.
  const logs = await runCli(["runs", "logs", "R", flow]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.ok(logs.stdout.includes("Flow changed since run R was last started"), logs.stdout);

  // Same file again: no warning.
  const again = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(_warnings(again.stderr), []);
  assert.equal(stateRows(db, "SELECT invocations FROM runs")[0]!.invocations, 3);
});

Deno.test("resume after the flow changed: a layout-only change names none; removed and unrecorded finished steps are named", async () => {
  await using dir = await tempDir();
  const flow = `${dir.path}/f.yaml`;
  const v1 = demoFlow(dir.path, _jobs("echo pulled", "exit 3"));
  await Deno.writeTextFile(flow, v1);
  assert.equal((await runCli(["run", flow, "--run-id", "R"])).code, 1);
  // extract.count's row as a version before schema v5 wrote it: no definition digest.
  const db = new DatabaseSync(`${dir.path}/state.sqlite`);
  try {
    db.exec("UPDATE step_runs SET definition_sha256 = NULL WHERE step_id = 'count'");
  } finally {
    db.close();
  }

  // Only the layout of a finished step changes (and the failing step is still failing).
  const v2 = demoFlow(dir.path, _jobs("echo pulled", "exit 4", "block"));
  await Deno.writeTextFile(flow, v2);
  const layout = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(layout.code, 1, layout.stderr);
  assert.deepEqual(_warnings(layout.stderr).map((w) => w.slice(w.indexOf(WARNING))), [
    `${WARNING} (flow_sha256 ${_sha256(v1).slice(0, 12)} -> ${_sha256(v2).slice(0, 12)}): finished steps ` +
    "reused with their old outputs although their definition changed: none; finished steps whose definition " +
    "was not recorded: extract.count",
  ]);

  // load.copy is removed (its row stays, nothing reads it); the fixed publish runs.
  const v3 = demoFlow(
    dir.path,
    _jobs("echo pulled", "echo ok", "block").replace(/ {6}- id: copy\n(?: {8}.*\n)+/, ""),
  );
  assert.ok(!v3.includes("id: copy"), v3);
  await Deno.writeTextFile(flow, v3);
  const removed = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(_warnings(removed.stderr).map((w) => w.slice(w.indexOf(WARNING))), [
    `${WARNING} (flow_sha256 ${_sha256(v2).slice(0, 12)} -> ${_sha256(v3).slice(0, 12)}): finished steps ` +
    "reused with their old outputs although their definition changed: none; finished steps no longer in the " +
    "flow: load.copy; finished steps whose definition was not recorded: extract.count",
  ]);
});
