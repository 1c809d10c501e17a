import assert from "node:assert/strict";
import { buildOtlpRequest, otlpMetricsUrl } from "./otlp.ts";
import { RunMetricsCollector } from "./run_metrics.ts";
import { captureLogger, emitRun } from "./_test_kit.ts";

const T0 = 1_764_000_000_000;

function _body(fail = false): Record<string, unknown> {
  const { logger } = captureLogger();
  const c = new RunMetricsCollector({ now: () => T0 });
  logger.onEvent((n, f) => c.onEvent(n, f));
  emitRun(logger, { fail, flowId: "demo-s3cr3t" });
  return buildOtlpRequest(c.result()!, {
    serviceVersion: "9.9.9",
    mask: (t) => t.replaceAll("s3cr3t", "***"),
  });
}

// deno-lint-ignore no-explicit-any
type _Any = any;

Deno.test("otlpMetricsUrl() appends /v1/metrics to the base endpoint", async (t) => {
  const CASES = [
    ["plain base", "http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/metrics"],
    ["trailing slash", "http://c:4318/", "http://c:4318/v1/metrics"],
    ["base with a path", "https://c/otlp", "https://c/otlp/v1/metrics"],
    ["full signal URL kept", "http://c:4318/v1/metrics", "http://c:4318/v1/metrics"],
  ] as const;
  for (const [name, input, want] of CASES) {
    await t.step(name, () => assert.equal(otlpMetricsUrl(input), want));
  }
});

Deno.test("buildOtlpRequest() follows the OTLP/JSON ExportMetricsServiceRequest shape", () => {
  const body: _Any = JSON.parse(JSON.stringify(_body(true)));
  const rm = body.resourceMetrics[0];
  assert.deepEqual(rm.resource.attributes, [
    { key: "service.name", value: { stringValue: "aetherflow" } },
    { key: "service.version", value: { stringValue: "9.9.9" } },
  ]);
  assert.deepEqual(rm.scopeMetrics[0].scope, { name: "aetherflow", version: "9.9.9" });
  const metrics: _Any[] = rm.scopeMetrics[0].metrics;
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const runs = byName.get("aetherflow_runs");
  assert.equal(runs.sum.aggregationTemporality, 1);
  assert.equal(runs.sum.isMonotonic, true);
  assert.deepEqual(runs.sum.dataPoints[0].attributes, [
    { key: "flow_id", value: { stringValue: "demo-***" } },
    { key: "status", value: { stringValue: "FAILED" } },
  ]);
  assert.equal(runs.sum.dataPoints[0].asInt, "1");
  assert.equal(runs.sum.dataPoints[0].timeUnixNano, `${T0}000000`);
  assert.equal(runs.sum.dataPoints[0].startTimeUnixNano, `${T0 - 2250}000000`);
  const steps = byName.get("aetherflow_steps").sum.dataPoints;
  assert.deepEqual(steps.map((p: _Any) => p.attributes.at(-1).value.stringValue), [
    "SUCCESS",
    "SKIPPED",
    "FAILED",
  ]);
  assert.equal(byName.get("aetherflow_run_duration").unit, "s");
  assert.equal(byName.get("aetherflow_run_duration").gauge.dataPoints[0].asDouble, 2.25);
  assert.equal(
    byName.get("aetherflow_step_duration").gauge.dataPoints.length,
    2,
    "no duration for a failed step",
  );
  assert.equal(byName.has("aetherflow_last_success_timestamp"), false, "no success time for a failed run");
  for (const m of metrics) {
    assert.equal(typeof m.description, "string");
    for (const p of (m.sum ?? m.gauge).dataPoints) assert.match(p.timeUnixNano, /^\d+$/);
  }
  assert.ok(!JSON.stringify(body).includes("s3cr3t"));
});

Deno.test("buildOtlpRequest() reports the last success time of a successful run", () => {
  const body: _Any = _body(false);
  const m = body.resourceMetrics[0].scopeMetrics[0].metrics.find((x: _Any) =>
    x.name === "aetherflow_last_success_timestamp"
  );
  assert.equal(m.gauge.dataPoints[0].asDouble, T0 / 1000);
});
