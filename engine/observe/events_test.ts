import assert from "node:assert/strict";
import { Logger } from "./logger.ts";
import { RunEvents } from "./events.ts";

function _run() {
  const lines: string[] = [];
  const logger = new Logger({ format: "json", write: (l) => lines.push(l), now: () => 1 });
  return {
    events: new RunEvents({ logger, flowId: "demo", runId: "R" }),
    parsed: () => lines.map((l) => JSON.parse(l)),
  };
}

Deno.test("RunEvents emit the docs/observability.md fields in contract order", () => {
  const { events, parsed } = _run();
  events.runStart("f.yaml", "/s.sqlite");
  events.jobStart("a");
  events.stepStart("a", "s1", "check_items");
  events.stepEnd("a", { step_id: "s1", step_type: "check_items", status: "SKIPPED", duration_ms: 2 });
  events.jobEnd("a", "SKIPPED", 5, "count(0) < min_count(1)");
  events.runSummary(9, { SKIPPED: 1, BLOCKED: 1 }, undefined, 0);
  const head = "ts_ms,ts,level,logger,event";
  const keys = parsed().map((o) => Object.keys(o).join(","));
  assert.deepEqual(keys, [
    `${head},flow_id,run_id,yaml,state`,
    `${head},flow_id,run_id,job_id`,
    `${head},flow_id,run_id,job_id,step_id,step_type`,
    `${head},flow_id,run_id,job_id,step_id,step_type,status,duration_ms`,
    `${head},flow_id,run_id,job_id,status,duration_ms,skip_reason`,
    `${head},flow_id,run_id,duration_ms,status_counts,jobs,exit_code`,
  ]);
});

Deno.test("run_summary lists started jobs with their ended steps; error only when given", () => {
  const { events, parsed } = _run();
  events.jobStart("a");
  events.stepEnd("a", { step_id: "s1", step_type: "t", status: "SUCCESS", duration_ms: 1 });
  events.jobEnd("a", "FAILED", 4, null);
  events.runSummary(7, { FAILED: 1 }, "boom", 1);
  const summary = parsed().at(-1);
  assert.deepEqual(summary.jobs, [{
    job_id: "a",
    status: "FAILED",
    duration_ms: 4,
    skip_reason: null,
    steps: [{ step_id: "s1", step_type: "t", status: "SUCCESS", duration_ms: 1 }],
  }]);
  assert.equal(summary.error, "boom");
  assert.equal(summary.exit_code, 1);
  assert.deepEqual(Object.keys(summary).slice(-3), ["jobs", "exit_code", "error"]);
});
