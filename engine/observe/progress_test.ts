import assert from "node:assert/strict";
import { Logger } from "./logger.ts";
import { RunEvents } from "./events.ts";
import { LiveProgress } from "./progress.ts";

Deno.test("LiveProgress keeps log lines intact and ends with a status table", () => {
  let out = "";
  const progress = new LiveProgress({ write: (c) => (out += c), totalJobs: 2 });
  const logger = new Logger({ write: (l) => progress.writeLine(l), now: () => 0 });
  logger.onEvent((n, f) => progress.onEvent(n, f));
  const events = new RunEvents({ logger, flowId: "demo", runId: "R" });
  events.runStart("f.yaml", "/s");
  events.jobStart("extract");
  events.stepStart("extract", "s1", "external.process");
  events.stepEnd("extract", {
    step_id: "s1",
    step_type: "external.process",
    status: "SUCCESS",
    duration_ms: 12,
  });
  events.jobEnd("extract", "SUCCESS", 15, null);
  events.runSummary(20, { SUCCESS: 1 });
  // Every log line is on its own line after clearing the progress line.
  const CLEAR = "\r\u001b[2K";
  const jobStart = out.split(CLEAR).find((chunk) => chunk.includes(" - job_start "));
  assert.match(
    jobStart ?? "",
    /^[^\n]* INFO aetherflow\.flow\.demo - job_start flow_id=demo run_id=R job_id=extract\n/,
  );
  assert.match(out, /▶ job 1\/2 extract · s1 \(external\.process\)/);
  const table = out.slice(out.lastIndexOf("JOB "));
  assert.match(
    table,
    /^JOB +STATUS +DURATION +STEPS +NOTE\nextract +SUCCESS +15ms +1\nstatus_counts \{"SUCCESS":1\}\n$/,
  );
});
