// `aetherflow run` through the real CLI (docs/execution-model.md, docs/cli.md), with built-in steps.
import assert from "node:assert/strict";
import { demoFlow, runCli, stateRows, tempDir, writeDemoFlow } from "./_helpers.ts";

function _rows(dir: string, sql: string): Record<string, unknown>[] {
  return stateRows(`${dir}/state.sqlite`, sql);
}

async function _exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

const F0_JOBS = `  - id: job_a
    steps:
      - {id: s1, type: check_items, inputs: {items: []}}
`;

Deno.test("run F0 prints the Validated line on stdout and logs events on stderr", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, F0_JOBS);
  const r = await runCli(["run", flow, "--run-id", "R1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `Validated bundle/flow yaml {"ok":true,"errors":[],"warnings":[],"flow_yaml":"${flow}"}\n`,
  );
  assert.match(
    r.stderr,
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO aetherflow\\.flow\\.demo - run_start ` +
        `flow_id=demo run_id=R1 yaml=${flow} state=${dir.path}/state.sqlite$`,
      "m",
    ),
  );
  assert.match(
    r.stderr,
    /run_summary flow_id=demo run_id=R1 duration_ms=\d+ status_counts=\{"SUCCESS":1\} jobs=\[/,
  );
  assert.ok(await _exists(`${dir.path}/ws/demo/job_a/R1/artifacts`));
  assert.deepEqual(_rows(dir.path, "SELECT status, exit_code FROM runs"), [{
    status: "SUCCESS",
    exit_code: 0,
  }]);
});

Deno.test("run with an invalid template exits 2 before anything runs (acceptance 7)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - {id: s, type: check_items, inputs: {items: "\${BAD}"}}
`,
  );
  const r = await runCli(["run", "--flow-yaml", flow]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes("Unsupported templating syntax. Use {{VAR}} or {{VAR:DEFAULT}}"), r.stderr);
  assert.ok(!r.stdout.includes("Validated"));
  assert.equal(await _exists(`${dir.path}/state.sqlite`), false);
});

Deno.test("run --flow-job with an unknown job exits 2 without a state DB (acceptance 14, D5)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, F0_JOBS);
  const r = await runCli(["run", flow, "--flow-job", "nope"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown job for --flow-job: nope\. Known: \["job_a"\]/);
  assert.equal(r.stdout, "");
  assert.equal(await _exists(`${dir.path}/state.sqlite`), false);
});

Deno.test("run gates a job with when and leaves only the gate's step row (acceptance 8)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: gate
    steps:
      - {id: check, type: check_items, inputs: {items: []}, outputs: {has_data: "{{ result.has_data }}"}}
  - id: process
    depends_on: [gate]
    when: jobs.gate.outputs.has_data == true
    steps:
      - {id: never, type: check_items, inputs: {items: "\${X}"}}
`.replace('"${X}"', "[1]"),
  );
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(_rows(dir.path, "SELECT job_id, status FROM job_runs ORDER BY job_id"), [
    { job_id: "gate", status: "SUCCESS" },
    { job_id: "process", status: "SKIPPED" },
  ]);
  assert.deepEqual(_rows(dir.path, "SELECT job_id, step_id, status FROM step_runs"), [
    { job_id: "gate", step_id: "check", status: "SKIPPED" },
  ]);
});

Deno.test("run --flow-job resumes against earlier results of the same run id (acceptance 13)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: gate
    steps:
      - {id: c, type: check_items, inputs: {items: [1, 2]}, outputs: {count: "{{result.count}}"}}
  - id: process
    depends_on: [gate]
    steps:
      - {id: p, type: check_items, inputs: {items: [1], min_count: "{{jobs.gate.outputs.count}}"}}
`,
  );
  const fresh = await runCli(["run", flow, "--run-id", "R2", "--flow-job", "process"]);
  assert.equal(fresh.code, 1);
  assert.ok(
    fresh.stderr.includes('WARNING aetherflow.flow.demo - Job blocked job_id=process depends_on=["gate"]'),
  );
  assert.deepEqual(_rows(dir.path, "SELECT job_id, status FROM job_runs WHERE run_id = 'R2'"), [
    { job_id: "process", status: "BLOCKED" },
  ]);
  assert.equal((await runCli(["run", flow, "--run-id", "R"])).code, 0);
  const again = await runCli(["run", flow, "--run-id", "R", "--flow-job", "process"]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.stderr.includes("Step skip (resume) step_id=p prev=SKIPPED"), again.stderr);
});

Deno.test("run exits 0 when a job is BLOCKED only by a skip, 1 for a self-dependency (acceptance 15)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - {id: p, type: check_items, inputs: {items: "x", min_count: 5}, on_no_data: skip_job}
      - {id: q, type: check_items, inputs: {items: [1]}}
  - id: b
    depends_on: [a]
    steps: []
`,
  );
  const r = await runCli(["run", flow]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes("Job short-circuit after step_id=p reason=count(1) < min_count(5)"));
  assert.match(r.stderr, /status_counts=\{"SKIPPED":1,"BLOCKED":1\}/);
  const self = await writeDemoFlow(
    dir.path,
    `  - id: a
    depends_on: [a]
    steps: []
`,
  );
  const r2 = await runCli(["run", self]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /status_counts=\{"BLOCKED":1\}/);
});

Deno.test("run fails a job on a missing output key and on a bad when, continuing with others (17-19)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    when: jobs.b.outputs.x == 1
    steps: []
  - id: b
    steps:
      - {id: s, type: check_items, inputs: {items: [1]}, outputs: {num: "{{result.m:3}}", txt: "{{result.m:'3'}}"}}
  - id: c
    when: jobs.b.outputs.num > 2
    steps: []
  - id: d
    when: jobs.b.outputs.txt == 3
    steps: []
  - id: e
    steps:
      - {id: s, type: check_items, inputs: {items: [1]}, outputs: {o: "{{result.v}}"}}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"], {
    env: { AETHERFLOW_LOG_FORMAT: "json" },
  });
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => typeof l.ts_ms === "number"));
  const errs = _rows(dir.path, "SELECT job_id, status, error FROM job_runs ORDER BY job_id");
  assert.deepEqual(errs.map((e) => [e.job_id, e.status]), [
    ["a", "FAILED"],
    ["b", "SUCCESS"],
    ["c", "SUCCESS"],
    ["d", "FAILED"],
    ["e", "FAILED"],
  ]);
  assert.equal(errs[0]!.error, "Invalid job.when for job_id=a: unknown job 'b'");
  assert.match(String(errs[3]!.error), /cannot compare string with number/);
  assert.equal(errs[4]!.error, "Missing template key: result.v (job 'e', step 's', outputs.o)");
  assert.deepEqual(_rows(dir.path, "SELECT step_id FROM step_runs WHERE job_id = 'e'"), []);
  const summary = lines.find((l) => l.event === "run_summary");
  assert.deepEqual(summary.status_counts, { FAILED: 3, SUCCESS: 2 });
});

Deno.test("run masks secret-named env values in state and logs (D18)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - {id: s, type: check_items, inputs: {items: ["{{env.DB_PASSWORD}}"]}, outputs: {o: "{{env.DB_PASSWORD}}"}}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"], { env: { DB_PASSWORD: "s3cr3t-value" } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes("s3cr3t-value"));
  assert.deepEqual(_rows(dir.path, "SELECT outputs_json FROM job_runs"), [{ outputs_json: '{"o":"***"}' }]);
});

Deno.test("run turns a resource that cannot be built into a run-level error (docs/execution-model.md step 9)", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/f.yaml`;
  await Deno.writeTextFile(
    path,
    demoFlow(dir.path, F0_JOBS).replace(
      "jobs:\n",
      'resources:\n  r1: {kind: echo, driver: echo, config: {url: "{{env.AF_TEST_UNSET_URL}}"}}\njobs:\n',
    ),
  );
  const r = await runCli(["run", path, "--run-id", "R"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /ERROR aetherflow\.flow\.demo - Run failed: Missing template key: env\.AF_TEST_UNSET_URL/,
  );
  assert.match(
    r.stderr,
    /run_summary .* status_counts=\{\} jobs=\[\] exit_code=1 error=Missing template key/,
  );
  assert.deepEqual(_rows(dir.path, "SELECT status, exit_code FROM runs"), [{
    status: "FAILED",
    exit_code: 1,
  }]);
  assert.deepEqual(_rows(dir.path, "SELECT * FROM job_runs"), []);
});

Deno.test("run: a process step promotes a typed number through $AETHERFLOW_OUTPUTS, and a when compares it", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: extract
    steps:
      - id: count
        type: external.process
        inputs:
          command: ["sh", "-c", "echo rows=3 >> \\"$AETHERFLOW_OUTPUTS\\"; echo 'region=eu' >> \\"$AETHERFLOW_OUTPUTS\\""]
        outputs: {rows: "{{result.outputs.rows}}", region: "{{result.outputs.region}}"}
  - id: load
    depends_on: [extract]
    when: jobs.extract.outputs.rows > 0 and jobs.extract.outputs.region == 'eu'
    steps:
      - {id: push, type: check_items, inputs: {items: [1]}}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(_rows(dir.path, "SELECT job_id, status, outputs_json FROM job_runs ORDER BY job_id"), [
    { job_id: "extract", status: "SUCCESS", outputs_json: '{"rows":3,"region":"eu"}' },
    { job_id: "load", status: "SUCCESS", outputs_json: "{}" },
  ]);
});

Deno.test("run: a template error at run time names the job, the step and the input", async () => {
  await using dir = await tempDir();
  // Valid (a missing env is only a warning), so the run starts and fails at `load`'s step.
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1]}, outputs: {rows: "{{result.count}}"}}
  - id: load
    steps:
      - {id: push, type: check_items, inputs: {items: ["{{jobs.extract.outputs.rows}} to {{env.AF_TEST_UNSET_REGION}}"]}}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 1, r.stderr);
  const error = "Missing template key: env.AF_TEST_UNSET_REGION (job 'load', step 'push', inputs.items[0])";
  assert.match(
    r.stderr,
    new RegExp(`ERROR aetherflow\\.flow\\.demo\\.job\\.load - Job failed: ${_re(error)}$`, "m"),
  );
  assert.deepEqual(_rows(dir.path, "SELECT job_id, status, error FROM job_runs ORDER BY job_id"), [
    { job_id: "extract", status: "SUCCESS", error: null },
    { job_id: "load", status: "FAILED", error },
  ]);
});

function _re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("run: keys and values y/Y/n/N are strings, as PyYAML reads YAML 1.1", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - id: s
        type: external.process
        inputs: {command: [echo, y, Y, n, N, "{{env.AF_TEST_UNSET:n}}"], log: {stdout: capture}}
        outputs: {n: "{{result.stdout}}", y: yes}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [row] = _rows(dir.path, "SELECT outputs_json FROM job_runs");
  assert.deepEqual(JSON.parse(String(row?.outputs_json)), { n: "y Y n N n\n", y: true });
});

Deno.test("run: YAML 1.1 dates and times in step inputs and outputs reach the step as PyYAML's text", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - id: s
        type: external.process
        inputs:
          command: [sh, -c, 'printf "%s|%s|%s|%s" "$D" "$T" "$Z" "$1"', sh, 2024-01-02]
          env: {D: 2024-01-02, T: 2001-12-14 21:59:43.10 -5, Z: 2001-12-14T21:59:43Z}
          log: {stdout: capture}
        outputs: {text: "{{result.stdout}}", day: 2024-02-29, days: [2024-01-02]}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [row] = _rows(dir.path, "SELECT outputs_json FROM job_runs");
  assert.deepEqual(JSON.parse(String(row?.outputs_json)), {
    text: "2024-01-02|2001-12-14 21:59:43.100000-05:00|2001-12-14 21:59:43+00:00|2024-01-02",
    day: "2024-02-29",
    days: ["2024-01-02"],
  });
});
