import assert from "node:assert/strict";
import { mergeTextfile } from "./prometheus.ts";
import { RunMetricsCollector } from "./run_metrics.ts";
import type { RunMetrics } from "./run_metrics.ts";
import { assertExposition, captureLogger, emitRun, sampleValue } from "./_test_kit.ts";

const T0 = 1_764_000_000_000;

function _run(options: { flowId?: string; fail?: boolean; now?: number } = {}): RunMetrics {
  const { logger } = captureLogger();
  const c = new RunMetricsCollector({ now: () => options.now ?? T0 });
  logger.onEvent((n, f) => c.onEvent(n, f));
  emitRun(logger, options);
  return c.result()!;
}

Deno.test("RunMetricsCollector counts the failing step of a FAILED job without a duration", () => {
  const run = _run({ fail: true });
  assert.equal(run.status, "FAILED");
  assert.deepEqual(run.jobCounts, { SUCCESS: 1, FAILED: 1 });
  assert.deepEqual(run.steps.map((s) => [s.jobId, s.stepId, s.status, s.durationMs]), [
    ["a", "s1", "SUCCESS", 1500],
    ["a", "s2", "SKIPPED", 2],
    ["b", "boom", "FAILED", null],
  ]);
});

Deno.test("mergeTextfile() writes counts, durations and timestamps with HELP/TYPE lines", () => {
  const text = mergeTextfile("", _run());
  assertExposition(text);
  const CASES = [
    ['aetherflow_runs_total{flow_id="demo",status="SUCCESS"}', 1],
    ['aetherflow_jobs_total{flow_id="demo",job_id="a",status="SUCCESS"}', 1],
    ['aetherflow_steps_total{flow_id="demo",job_id="a",status="SKIPPED",step_id="s2"}', 1],
    ['aetherflow_run_jobs{flow_id="demo",status="SUCCESS"}', 1],
    ['aetherflow_run_duration_seconds{flow_id="demo"}', 2.25],
    ['aetherflow_job_duration_seconds{flow_id="demo",job_id="a"}', 1.502],
    ['aetherflow_step_duration_seconds{flow_id="demo",job_id="a",step_id="s1"}', 1.5],
    ['aetherflow_last_run_success{flow_id="demo"}', 1],
    ['aetherflow_last_run_timestamp_seconds{flow_id="demo"}', T0 / 1000],
    ['aetherflow_last_success_timestamp_seconds{flow_id="demo"}', T0 / 1000],
  ] as const;
  for (const [series, want] of CASES) assert.equal(sampleValue(text, series), want, series);
  assert.match(text, /^# HELP aetherflow_runs_total .+\n# TYPE aetherflow_runs_total counter$/m);
  assert.match(text, /^# TYPE aetherflow_run_duration_seconds gauge$/m);
});

Deno.test("mergeTextfile() adds counters, replaces gauges and keeps the last success of a failed run", () => {
  const first = mergeTextfile("", _run());
  const second = mergeTextfile(first, _run({ fail: true, now: T0 + 60_000 }));
  assertExposition(second);
  assert.equal(sampleValue(second, 'aetherflow_runs_total{flow_id="demo",status="SUCCESS"}'), 1);
  assert.equal(sampleValue(second, 'aetherflow_runs_total{flow_id="demo",status="FAILED"}'), 1);
  assert.equal(sampleValue(second, 'aetherflow_jobs_total{flow_id="demo",job_id="a",status="SUCCESS"}'), 2);
  assert.equal(
    sampleValue(second, 'aetherflow_steps_total{flow_id="demo",job_id="b",status="FAILED",step_id="boom"}'),
    1,
  );
  assert.equal(sampleValue(second, 'aetherflow_last_run_success{flow_id="demo"}'), 0);
  assert.equal(sampleValue(second, 'aetherflow_last_run_timestamp_seconds{flow_id="demo"}'), T0 / 1000 + 60);
  assert.equal(sampleValue(second, 'aetherflow_last_success_timestamp_seconds{flow_id="demo"}'), T0 / 1000);
  assert.equal(sampleValue(second, 'aetherflow_run_jobs{flow_id="demo",status="FAILED"}'), 1);
});

Deno.test("mergeTextfile() keeps other flows' series and foreign families", () => {
  const foreign = '# HELP other_metric Something else.\n# TYPE other_metric gauge\nother_metric{x="1"} 7\n';
  const text = mergeTextfile(
    mergeTextfile(foreign, _run({ flowId: "one" })),
    _run({ flowId: "two", fail: true }),
  );
  assertExposition(text);
  assert.equal(sampleValue(text, 'aetherflow_runs_total{flow_id="one",status="SUCCESS"}'), 1);
  assert.equal(sampleValue(text, 'aetherflow_runs_total{flow_id="two",status="FAILED"}'), 1);
  assert.equal(sampleValue(text, 'aetherflow_run_jobs{flow_id="one",status="SUCCESS"}'), 1);
  assert.equal(sampleValue(text, 'aetherflow_last_success_timestamp_seconds{flow_id="one"}'), T0 / 1000);
  assert.equal(sampleValue(text, 'aetherflow_last_success_timestamp_seconds{flow_id="two"}'), undefined);
  assert.equal(sampleValue(text, 'other_metric{x="1"}'), 7);
  assert.equal(text.match(/^# TYPE aetherflow_runs_total /gm)?.length, 1);
});

Deno.test("mergeTextfile() escapes and masks label values", () => {
  const text = mergeTextfile("", _run({ flowId: 'we"ird\\id-s3cr3t' }), {
    mask: (t) => t.replaceAll("s3cr3t", "***"),
  });
  assertExposition(text);
  assert.ok(text.includes('flow_id="we\\"ird\\\\id-***"'), text);
  assert.ok(!text.includes("s3cr3t"));
  // The escaped file reads back as the same series: a second run adds to it.
  const again = mergeTextfile(text, _run({ flowId: 'we"ird\\id-s3cr3t' }), {
    mask: (t) => t.replaceAll("s3cr3t", "***"),
  });
  assert.equal(sampleValue(again, 'aetherflow_runs_total{flow_id="we\\"ird\\\\id-***",status="SUCCESS"}'), 2);
});
