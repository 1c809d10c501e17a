// Crash-safety of the runner's bookkeeping (docs/execution-model.md, docs/state.md): whatever fails while a run is being
// reported, the rows left behind tell the truth and nothing stays RUNNING or locked in a process that survives.
import assert from "node:assert/strict";
import { Logger } from "../observe/logger.ts";
import { harness } from "./_test_kit.ts";
import type { RunnerJob, RunnerStateStore } from "./types.ts";

const JOB: RunnerJob = { id: "a", steps: [{ id: "s", type: "t_echo", inputs: { v: 1 } }] };

/** A JSON logger whose writer throws (a closed stderr pipe: EPIPE) on the first line containing `needle`. */
function brokenLogger(needle: string): Logger {
  return new Logger({
    format: "json",
    write: (line) => {
      if (line.includes(needle)) throw new Error("Broken pipe (os error 32)");
    },
  });
}

Deno.test("runFlow() closes the job row and the run record when writing a report fails", async (t) => {
  const CASES = [
    ["run_start", '"event":"run_start"'],
    ["job_start", '"event":"job_start"'],
    ["step_end", '"event":"step_end"'],
    ["job_end", '"event":"job_end"'],
    ["run_summary", '"event":"run_summary"'],
  ] as const;
  for (const [name, needle] of CASES) {
    await t.step(name, async () => {
      await using h = await harness();
      // Returning exit 1 or rethrowing are both fine; what state is left behind is the point.
      await h.run([JOB], { logger: brokenLogger(needle) }).catch(() => undefined);
      const run = h.state.getRun("R");
      assert.equal(run?.status, "FAILED", "the run record is closed");
      assert.equal(run?.exitCode, 1);
      assert.notEqual(run?.endedAt, null);
      for (const job of h.state.listJobRecords("R")) assert.notEqual(job.status, "RUNNING", job.jobId);
    });
  }
});

Deno.test("runFlow() keeps a recorded job SUCCESS when reporting it fails afterwards", async () => {
  await using h = await harness();
  await h.run([JOB], { logger: brokenLogger("Job success") }).catch(() => undefined);
  assert.equal(h.state.getJobRecord("a", "R")?.status, "SUCCESS");
  assert.equal(h.state.getStepRecord("a", "R", "s")?.status, "SUCCESS");
  assert.equal(h.state.getRun("R")?.status, "FAILED");
});

Deno.test("runFlow() retries at the end of the run a lock release that failed during a step (D15)", async () => {
  await using h = await harness();
  let failures = 1;
  const state: RunnerStateStore = new Proxy(h.state, {
    get(target, prop) {
      if (prop === "releaseLock") {
        return (key: string, owner: string) => {
          if (failures-- > 0) throw new Error("database is locked");
          return target.releaseLock(key, owner);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const out = await h.run([{
    id: "a",
    steps: [{
      id: "w",
      type: "with_lock",
      inputs: { lock_key: "k", step: { id: "in", type: "t_echo", inputs: { v: 1 } } },
    }],
  }], { state });
  assert.equal(out.exitCode, 0);
  assert.ok(
    await h.state.acquireLock("k", { owner: "other" }),
    "the lock was released by the end of the run",
  );
});
