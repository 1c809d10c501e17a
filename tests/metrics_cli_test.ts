// Built-in metrics sinks through the real CLI (docs/metrics.md): Prometheus textfile and OTLP/HTTP JSON.
import assert from "node:assert/strict";
import { runCli, tempDir } from "./_helpers.ts";
import { assertExposition, sampleValue } from "../engine/observe/metrics/_test_kit.ts";

async function _flow(dir: string, id: string): Promise<string> {
  const path = `${dir}/${id}.yaml`;
  await Deno.writeTextFile(
    path,
    `flow:
  id: ${id}
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/${id}.sqlite}
jobs:
  - id: load
    steps:
      - {id: check, type: check_items, inputs: {items: [1, 2]}}
  - id: empty
    steps:
      - {id: check, type: check_items, inputs: {items: []}}
`,
  );
  return path;
}

Deno.test("run writes the Prometheus textfile and merges a second flow into it", async () => {
  await using dir = await tempDir();
  const prom = `${dir.path}/aetherflow.prom`;
  const env = { AETHERFLOW_METRICS_TEXTFILE: prom };
  const r1 = await runCli(["run", await _flow(dir.path, "alpha"), "--run-id", "R1"], { env });
  assert.equal(r1.code, 0, r1.stderr);
  const first = await Deno.readTextFile(prom);
  assertExposition(first);
  assert.equal(sampleValue(first, 'aetherflow_runs_total{flow_id="alpha",status="SUCCESS"}'), 1);
  assert.equal(
    sampleValue(first, 'aetherflow_jobs_total{flow_id="alpha",job_id="load",status="SUCCESS"}'),
    1,
  );
  assert.equal(
    sampleValue(first, 'aetherflow_jobs_total{flow_id="alpha",job_id="empty",status="SUCCESS"}'),
    1,
  );
  assert.equal(
    sampleValue(
      first,
      'aetherflow_steps_total{flow_id="alpha",job_id="empty",status="SKIPPED",step_id="check"}',
    ),
    1,
  );
  assert.equal(sampleValue(first, 'aetherflow_run_jobs{flow_id="alpha",status="SUCCESS"}'), 2);
  assert.equal(sampleValue(first, 'aetherflow_last_run_success{flow_id="alpha"}'), 1);
  const success = sampleValue(first, 'aetherflow_last_success_timestamp_seconds{flow_id="alpha"}');
  assert.ok(success !== undefined && success > 1_600_000_000, String(success));
  assert.ok(sampleValue(first, 'aetherflow_run_duration_seconds{flow_id="alpha"}')! >= 0);
  assert.ok(
    sampleValue(first, 'aetherflow_step_duration_seconds{flow_id="alpha",job_id="load",step_id="check"}')! >=
      0,
  );

  const r2 = await runCli(["run", await _flow(dir.path, "beta")], { env });
  assert.equal(r2.code, 0, r2.stderr);
  const r3 = await runCli(["run", await _flow(dir.path, "alpha")], { env });
  assert.equal(r3.code, 0, r3.stderr);
  const merged = await Deno.readTextFile(prom);
  assertExposition(merged);
  assert.equal(sampleValue(merged, 'aetherflow_runs_total{flow_id="alpha",status="SUCCESS"}'), 2);
  assert.equal(sampleValue(merged, 'aetherflow_runs_total{flow_id="beta",status="SUCCESS"}'), 1);
  assert.equal(
    sampleValue(merged, 'aetherflow_jobs_total{flow_id="alpha",job_id="load",status="SUCCESS"}'),
    2,
  );
  assert.ok(sampleValue(merged, 'aetherflow_last_success_timestamp_seconds{flow_id="beta"}') !== undefined);
  assert.equal(merged.match(/^# TYPE aetherflow_runs_total counter$/gm)?.length, 1);
  assert.ok(!r1.stderr.includes("WARNING"), r1.stderr);
});

Deno.test("run sends the OTLP/JSON metrics request to <endpoint>/v1/metrics", async () => {
  await using dir = await tempDir();
  const got: { path: string; body: unknown }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    got.push({ path: new URL(req.url).pathname, body: await req.json() });
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  try {
    const r = await runCli(["run", await _flow(dir.path, "alpha")], {
      env: { AETHERFLOW_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}` },
    });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await server.shutdown();
  }
  assert.equal(got.length, 1);
  assert.equal(got[0]!.path, "/v1/metrics");
  // deno-lint-ignore no-explicit-any
  const rm = (got[0]!.body as any).resourceMetrics[0];
  assert.equal(rm.resource.attributes[0].value.stringValue, "aetherflow");
  // deno-lint-ignore no-explicit-any
  const runs = rm.scopeMetrics[0].metrics.find((m: any) => m.name === "aetherflow_runs");
  assert.deepEqual(runs.sum.dataPoints[0].attributes, [
    { key: "flow_id", value: { stringValue: "alpha" } },
    { key: "status", value: { stringValue: "SUCCESS" } },
  ]);
});

Deno.test("run with failing metrics sinks logs WARNING lines and still exits 0", async () => {
  await using dir = await tempDir();
  const closed = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response());
  const port = closed.addr.port;
  await closed.shutdown();
  const r = await runCli(["run", await _flow(dir.path, "alpha")], {
    env: {
      AETHERFLOW_METRICS_TEXTFILE: `${dir.path}/missing-dir/aetherflow.prom`,
      AETHERFLOW_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /WARNING aetherflow\.metrics - Metrics sink failed \(textfile .*missing-dir/);
  assert.match(
    r.stderr,
    /WARNING aetherflow\.metrics - Metrics sink failed \(OTLP http:\/\/127\.0\.0\.1:\d+\)/,
  );
  assert.match(r.stderr, /run_summary flow_id=alpha/);
});
