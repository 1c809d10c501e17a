// The resume check reads a job's step rows once at job start (docs/execution-model.md step 2, D4) and still answers each
// step exactly as a per-step read would.
import assert from "node:assert/strict";
import { harness } from "./_test_kit.ts";
import type { RunnerJob, RunnerStateStore } from "./types.ts";
import type { StateStore } from "../state/mod.ts";

/** The harness store, counting per-step reads, optionally without the one-query listing. */
function counting(
  store: StateStore,
  options: { list: boolean },
): { state: RunnerStateStore; reads: () => number } {
  let reads = 0;
  const state = new Proxy(store, {
    get(target, prop) {
      if (prop === "listStepRecords" && !options.list) return undefined;
      if (prop === "getStepRecord") {
        return (job: string, run: string, step: string) => {
          reads++;
          return target.getStepRecord(job, run, step);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as RunnerStateStore;
  return { state, reads: () => reads };
}

const JOB: RunnerJob = {
  id: "j",
  steps: [
    { id: "s1", type: "t_echo", inputs: { v: 1 }, outputs: { one: "{{ result.v }}" } },
    { id: "s2", type: "t_echo", inputs: { w: "{{ steps.s1.v }}" } },
  ],
};

Deno.test("runFlow() answers every resume check from one read of the job's rows", async () => {
  await using h = await harness();
  h.state.setStepStatus("j", "R", "s1", "SUCCESS", { output: { v: 7 }, promoted: { one: 7 } });
  const c = counting(h.state, { list: true });
  const out = await h.run([JOB], { state: c.state });
  assert.equal(out.exitCode, 0);
  assert.equal(c.reads(), 0);
  assert.ok(h.messages().includes("Step skip (resume) step_id=s1 prev=SUCCESS"));
  assert.deepEqual(h.state.getStepRecord("j", "R", "s2")?.output, { w: 7 });
  assert.deepEqual(h.state.getJobRecord("j", "R")?.outputs, { one: 7 });
});

Deno.test("runFlow() reads one row per step from a store without listStepRecords", async () => {
  await using h = await harness();
  h.state.setStepStatus("j", "R", "s1", "SUCCESS", { output: { v: 7 }, promoted: { one: 7 } });
  const c = counting(h.state, { list: false });
  assert.equal((await h.run([JOB], { state: c.state })).exitCode, 0);
  assert.equal(c.reads(), 2);
  assert.deepEqual(h.state.getStepRecord("j", "R", "s2")?.output, { w: 7 });
});

Deno.test("runFlow() resumes a step id repeated in an unvalidated flow from the row written this invocation", async () => {
  await using h = await harness();
  const out = await h.run([{
    id: "j",
    steps: [
      { id: "s", type: "t_echo", inputs: { v: 1 } },
      { id: "s", type: "t_boom" },
    ],
  }]);
  assert.equal(out.exitCode, 0, "the second `s` is answered by the first one's row");
  assert.ok(h.messages().includes("Step skip (resume) step_id=s prev=SUCCESS"));
});

Deno.test("runFlow() with a corrupt row fails the job at that step, after running the steps before it", async () => {
  await using h = await harness();
  h.state.setStepStatus("j", "R", "s2", "SUCCESS", { output: { x: 1 } });
  using db = new (await import("node:sqlite")).DatabaseSync(h.state.path);
  db.prepare("UPDATE step_runs SET output_json = '[1]' WHERE step_id = 's2'").run();
  const out = await h.run([JOB]);
  assert.equal(out.exitCode, 1);
  assert.equal(h.state.getStepRecord("j", "R", "s1")?.status, "SUCCESS", "s1 ran first");
  assert.match(h.state.getJobRecord("j", "R")?.error ?? "", /step_runs\.output_json is not a JSON object/);
});
