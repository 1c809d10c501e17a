import assert from "node:assert/strict";
import type { LockInfo, RunRecord, StepRecord } from "../state/mod.ts";
import { buildRunView, isStaleRun } from "./run_view.ts";

const RUN = { runId: "R", status: "RUNNING" } as const;
const lease = (over: Partial<LockInfo>): LockInfo => ({
  key: "run:R",
  owner: "R",
  host: "h",
  pid: 1,
  expiresAt: 0,
  expired: false,
  alive: true,
  ...over,
});

Deno.test("isStaleRun(): a RUNNING run nobody holds the lease of", () => {
  assert.equal(isStaleRun(RUN, [lease({})]), false);
  assert.equal(isStaleRun(RUN, [lease({ alive: null })]), false, "another host: assume running");
  assert.equal(isStaleRun(RUN, [lease({ alive: false })]), true);
  assert.equal(isStaleRun(RUN, [lease({ expired: true })]), true);
  assert.equal(isStaleRun(RUN, []), true);
  assert.equal(isStaleRun({ runId: "R", status: "FAILED" }, []), false);
});

Deno.test("buildRunView() marks steps restored by resume and orders by time", () => {
  const run = {
    runId: "R",
    flowId: "f",
    status: "SUCCESS",
    startedAt: 1,
    startedAtMs: 1000,
    invokedAtMs: 5000,
    endedAtMs: 6000,
    endedAt: 6,
    plugins: [],
  } as unknown as RunRecord;
  const step = (id: string, start: number, end: number) =>
    ({
      jobId: "j",
      runId: "R",
      stepId: id,
      status: "SUCCESS",
      startedAtMs: start,
      endedAtMs: end,
      updatedAt: 0,
    }) as unknown as StepRecord;
  const view = buildRunView("R", run, [], [step("late", 5100, 5200), step("early", 1100, 1200)], []);
  assert.deepEqual(view.jobs[0]!.steps.map((s) => [s.step_id, s.resumed, s.duration_ms]), [
    ["early", true, 100],
    ["late", false, 100],
  ]);
  assert.equal(view.jobs[0]!.status, "UNKNOWN", "steps without a job row are still shown");
  assert.equal(view.run!.duration_ms, 1000, "duration of the latest invocation");
});
