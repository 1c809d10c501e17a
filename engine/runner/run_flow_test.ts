import assert from "node:assert/strict";
import { harness } from "./_test_kit.ts";
import type { RunnerJob } from "./types.ts";
import type { StepDefinition } from "../steps/types.ts";

const GATE_EMPTY: RunnerJob = {
  id: "gate",
  steps: [{
    id: "check",
    type: "check_items",
    inputs: { items: [] },
    outputs: { has_data: "{{ result.has_data }}" },
  }],
};

Deno.test("runFlow() skips a job whose when is false after a gate (acceptance 8)", async () => {
  await using h = await harness();
  const out = await h.run([
    GATE_EMPTY,
    {
      id: "process",
      depends_on: ["gate"],
      when: "jobs.gate.outputs.has_data == true",
      steps: [{ id: "b", type: "t_boom" }],
    },
  ]);
  assert.equal(out.exitCode, 0);
  assert.deepEqual(out.jobStatuses, { gate: "SUCCESS", process: "SKIPPED" });
  assert.deepEqual(h.state.listStepRecords("R").map((r) => `${r.jobId}/${r.stepId} ${r.status}`), [
    "gate/check SKIPPED",
  ]);
  assert.ok(h.messages().includes("Job skipped job_id=process when=(jobs.gate.outputs.has_data == true)"));
  assert.deepEqual(h.events("job_start").map((e) => e.job_id), ["gate"]);
  assert.equal(h.state.getJobRecord("process", "R")?.skipReason, "condition=false");
});

Deno.test("runFlow() keeps running independent jobs after a failure (D3, acceptance 9)", async () => {
  await using h = await harness();
  const out = await h.run([
    { id: "a", steps: [{ id: "s", type: "t_boom" }] },
    { id: "b", steps: [{ id: "s", type: "t_echo", inputs: { v: 1 } }] },
  ]);
  assert.equal(out.exitCode, 1);
  assert.deepEqual(out.statusCounts, { FAILED: 1, SUCCESS: 1 });
  assert.equal(h.state.getJobRecord("a", "R")?.error, "boom");
  assert.ok(h.messages().includes("Job failed: boom"));
  // A failing step gets no row and no step_end.
  assert.equal(h.state.getStepRecord("a", "R", "s"), null);
  assert.deepEqual(h.events("step_end").map((e) => e.job_id), ["b"]);
  const summary = h.events("run_summary")[0]!;
  assert.deepEqual(summary.status_counts, { FAILED: 1, SUCCESS: 1 });
  assert.ok(!("error" in summary));
  assert.equal(h.state.getRun("R")?.status, "FAILED");
  assert.equal(h.state.getRun("R")?.exitCode, 1);
});

Deno.test("runFlow() exit code follows D2 for blocked jobs", async (t) => {
  const CASES = [
    ["blocked by a skip keeps exit 0", [{ id: "p", type: "t_skip", on_no_data: "skip_job" }], 0, "SKIPPED"],
    ["blocked by a failure exits 1", [{ id: "p", type: "t_boom" }], 1, "FAILED"],
  ] as const;
  for (const [name, steps, code, aStatus] of CASES) {
    await t.step(name, async () => {
      await using h = await harness();
      const out = await h.run([
        { id: "a", steps },
        { id: "b", depends_on: ["a"], steps: [{ id: "s", type: "t_echo" }] },
        { id: "c", depends_on: ["b"], steps: [{ id: "s", type: "t_echo" }] },
        { id: "d", steps: [{ id: "s", type: "t_echo" }] },
      ]);
      assert.equal(out.exitCode, code);
      assert.deepEqual(out.jobStatuses, { a: aStatus, b: "BLOCKED", c: "BLOCKED", d: "SUCCESS" });
      assert.ok(h.messages().includes('Job blocked job_id=b depends_on=["a"]'));
    });
  }
  await t.step("a job depending on itself is blocked and fails the run", async () => {
    await using h = await harness();
    const out = await h.run([{ id: "a", depends_on: ["a"], steps: [{ id: "s", type: "t_echo" }] }]);
    assert.equal(out.exitCode, 1);
    assert.deepEqual(out.jobStatuses, { a: "BLOCKED" });
  });
});

Deno.test("runFlow() short-circuits a job on skip_job and records the rest SKIPPED (acceptance 15)", async () => {
  await using h = await harness();
  const out = await h.run([{
    id: "a",
    steps: [
      { id: "p", type: "check_items", inputs: { items: "x", min_count: 5 }, on_no_data: "skip_job" },
      { id: "q", type: "t_boom" },
    ],
  }, { id: "b", depends_on: ["a"], steps: [] }]);
  assert.equal(out.exitCode, 0);
  assert.deepEqual(out.statusCounts, { SKIPPED: 1, BLOCKED: 1 });
  const msgs = h.messages();
  assert.ok(msgs.includes("Job short-circuit after step_id=p reason=count(1) < min_count(5)"));
  assert.ok(msgs.includes("Step skipped (job short-circuit) step_id=q reason=count(1) < min_count(5)"));
  assert.ok(msgs.includes("Job skipped (no data) reason=count(1) < min_count(5)"));
  assert.deepEqual(h.state.getStepRecord("a", "R", "q")?.output, {
    skipped: true,
    reason: "count(1) < min_count(5)",
  });
  const jobEnd = h.events("job_end")[0]!;
  assert.equal(jobEnd.status, "SKIPPED");
  assert.equal(jobEnd.skip_reason, "count(1) < min_count(5)");
  assert.equal(h.state.getJobRecord("a", "R")?.skipTrigger, "step");
});

Deno.test("runFlow() resume skips done steps and restores their outputs (D4, acceptances 10-11)", async () => {
  await using h = await harness();
  let fail = true;
  const failOnce: StepDefinition = {
    type: "t_failonce",
    origin: "test",
    run: (inputs) => {
      if (fail) throw new Error("not yet");
      return { outputs: { got: inputs.x as number } };
    },
  };
  const { testRegistry } = await import("./_test_kit.ts");
  const registry = testRegistry([failOnce]);
  const jobs: RunnerJob[] = [{
    id: "j",
    steps: [
      { id: "s1", type: "t_echo", inputs: { v: 1 }, outputs: { first: "{{result.v}}" } },
      { id: "s2", type: "t_failonce", inputs: { x: "{{steps.s1.v}}", o: "{{job.outputs.first}}" } },
    ],
  }];
  const first = await h.run(jobs, { registry });
  assert.equal(first.exitCode, 1);
  assert.deepEqual(h.state.getJobRecord("j", "R")?.outputs, { first: 1 });
  fail = false;
  h.lines.length = 0;
  const second = await h.run(jobs, { registry });
  assert.equal(second.exitCode, 0);
  assert.ok(h.messages().includes("Step skip (resume) step_id=s1 prev=SUCCESS"));
  assert.deepEqual(h.events("step_start").map((e) => e.step_id), ["s2"]);
  assert.deepEqual(h.state.getStepRecord("j", "R", "s2")?.output, { got: 1 });
  assert.deepEqual(h.state.getJobRecord("j", "R")?.outputs, { first: 1 });
  assert.equal(h.state.getRun("R")?.invocations, 2);
  assert.equal(h.state.getRun("R")?.status, "SUCCESS");
});

Deno.test("runFlow() resumed short-circuit ends SKIPPED again (acceptance 12)", async () => {
  await using h = await harness();
  const jobs: RunnerJob[] = [
    {
      id: "gate",
      steps: [{
        id: "c",
        type: "check_items",
        inputs: { items: [1, 2] },
        outputs: { count: "{{result.count}}" },
      }],
    },
    {
      id: "process",
      when: "jobs.gate.outputs.count > 1",
      steps: [{ id: "p", type: "check_items", inputs: { items: "x", min_count: 5 }, on_no_data: "skip_job" }],
    },
  ];
  for (let i = 0; i < 2; i++) {
    const out = await h.run(jobs);
    assert.equal(out.exitCode, 0);
    assert.deepEqual(out.jobStatuses, { gate: "SUCCESS", process: "SKIPPED" });
  }
});

Deno.test("runFlow() --flow-job sees dependencies and outputs recorded earlier in the run (acceptance 13)", async () => {
  await using h = await harness();
  const jobs: RunnerJob[] = [
    { id: "gate", steps: [{ id: "c", type: "t_echo", inputs: { n: 2 }, outputs: { n: "{{result.n}}" } }] },
    {
      id: "process",
      depends_on: ["gate"],
      steps: [{ id: "e", type: "t_echo", inputs: { seen: "{{jobs.gate.outputs.n}}" } }],
    },
  ];
  const fresh = await h.run(jobs, { runId: "R2", flowJob: "process" });
  assert.equal(fresh.exitCode, 1);
  assert.deepEqual(fresh.jobStatuses, { process: "BLOCKED" });
  assert.deepEqual(h.state.listJobRecords("R2").map((r) => r.jobId), ["process"]);
  assert.equal((await h.run(jobs)).exitCode, 0);
  const again = await h.run(jobs, { flowJob: "process" });
  assert.equal(again.exitCode, 0);
  assert.deepEqual(again.statusCounts, { SUCCESS: 1 });
  assert.deepEqual(h.state.getStepRecord("process", "R", "e")?.output, { seen: 2 });
});

Deno.test("runFlow() renders typed and inline templates across steps (acceptance 16)", async () => {
  await using h = await harness();
  await h.run([{
    id: "j",
    steps: [
      { id: "e1", type: "t_echo", inputs: { lst: [1, "{{run_id}}", { x: "{{flow_id}}" }] } },
      {
        id: "e2",
        type: "t_echo",
        inputs: { copy: "{{steps.e1.lst}}", s: "n={{steps.e1.lst}}", jo: "{{job.outputs.k:none}}" },
        outputs: { k: "{{result.copy}}" },
      },
      { id: "e3", type: "t_echo", inputs: { jo: "{{job.outputs.k}}" } },
    ],
  }]);
  const e2 = h.state.getStepRecord("j", "R", "e2")?.output;
  assert.deepEqual(e2, { copy: [1, "R", { x: "demo" }], s: 'n=[1,"R",{"x":"demo"}]', jo: "none" });
  assert.deepEqual(h.state.getStepRecord("j", "R", "e3")?.output, { jo: [1, "R", { x: "demo" }] });
});

Deno.test("runFlow() fails the job without a step row when outputs cannot be promoted (acceptance 17)", async () => {
  await using h = await harness();
  const out = await h.run([{
    id: "j",
    steps: [{ id: "s", type: "t_echo", inputs: { v: "" }, outputs: { o: "{{result.v}}" } }],
  }]);
  assert.equal(out.exitCode, 1);
  assert.equal(h.state.getStepRecord("j", "R", "s"), null);
  // The contract text first, then where: job, step and the failing leaf.
  assert.equal(
    h.state.getJobRecord("j", "R")?.error,
    "Missing template key: result.v (job 'j', step 's', outputs.o)",
  );
});

Deno.test("runFlow() fails a job whose when cannot be evaluated and runs the next (acceptances 18-19)", async () => {
  await using h = await harness();
  const out = await h.run([
    { id: "a", when: "jobs.b.outputs.x == 1", steps: [] },
    { id: "b", steps: [{ id: "s", type: "t_echo", inputs: { x: 1 }, outputs: { n: "{{result.m:'3'}}" } }] },
    { id: "c", when: "jobs.b.outputs.n == 3", steps: [] },
  ]);
  assert.equal(out.exitCode, 1);
  assert.deepEqual(out.jobStatuses, { a: "FAILED", b: "SUCCESS", c: "FAILED" });
  assert.equal(h.state.getJobRecord("a", "R")?.error, "Invalid job.when for job_id=a: unknown job 'b'");
  assert.match(h.state.getJobRecord("c", "R")?.error ?? "", /cannot compare string with number/);
  assert.deepEqual(h.events("job_start").map((e) => e.job_id), ["b"]);
});

Deno.test("runFlow() rejects an unknown step status (acceptance 20)", async () => {
  await using h = await harness();
  const out = await h.run([{ id: "j", steps: [{ id: "s", type: "t_status", inputs: { status: "WEIRD" } }] }]);
  assert.equal(out.exitCode, 1);
  assert.equal(h.state.getJobRecord("j", "R")?.error, 'invalid step status "WEIRD"');
});

Deno.test("runFlow() creates the job layout and cleans up on success only per policy", async (t) => {
  for (const policy of ["never", "on_success", "always"] as const) {
    await t.step(policy, async () => {
      await using h = await harness(policy);
      await h.run([
        { id: "ok", steps: [{ id: "s", type: "t_echo" }] },
        { id: "bad", steps: [{ id: "s", type: "t_boom" }] },
      ]);
      const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
      assert.equal(await exists(`${h.dir}/ws/demo/ok/R/artifacts`), policy === "never");
      assert.equal(await exists(`${h.dir}/ws/demo/bad/R/scratch`), policy !== "always");
      assert.equal(await exists(`${h.dir}/ws/demo/ok`), true);
    });
  }
});

Deno.test("runFlow() on abort fails the running job `terminated by SIGTERM` and stops (docs/execution-model.md)", async () => {
  await using h = await harness();
  const ctl = new AbortController();
  const waiter: StepDefinition = {
    type: "t_wait",
    origin: "test",
    run: (_inputs, ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => reject(new Error("child killed")));
        queueMicrotask(() => ctl.abort("SIGTERM"));
      }),
  };
  const { testRegistry } = await import("./_test_kit.ts");
  const out = await h.run([
    { id: "a", steps: [{ id: "w", type: "t_wait" }, { id: "next", type: "t_echo" }] },
    { id: "b", steps: [{ id: "s", type: "t_echo" }] },
  ], { registry: testRegistry([waiter]), signal: ctl.signal });
  assert.equal(out.exitCode, 1);
  assert.equal(out.error, "terminated by SIGTERM");
  assert.deepEqual(h.state.listJobRecords("R").map((r) => [r.jobId, r.status, r.error]), [
    ["a", "FAILED", "terminated by SIGTERM"],
  ]);
  assert.equal(h.events("job_end")[0]?.status, "FAILED");
  assert.equal(h.events("run_summary")[0]?.error, "terminated by SIGTERM");
  assert.equal(h.state.getRun("R")?.status, "FAILED");
});

Deno.test("runFlow() turns a resource failure into a run-level error with run_summary", async () => {
  await using h = await harness();
  const out = await h.run([{ id: "a", steps: [] }], {
    prepareResources: () => {
      throw new Error("Unknown profile: p");
    },
  });
  assert.equal(out.exitCode, 1);
  assert.deepEqual(h.events().map((e) => e.event), ["run_start", "run_summary"]);
  assert.equal(h.events("run_summary")[0]?.error, "Unknown profile: p");
  assert.equal(h.state.getRun("R")?.error, "Unknown profile: p");
});

Deno.test("runFlow() emits events in order with a complete run_summary", async () => {
  await using h = await harness();
  await h.run([{ id: "a", steps: [{ id: "s", type: "t_echo" }] }, { id: "b", depends_on: ["x"], steps: [] }]);
  assert.deepEqual(h.events().map((e) => e.event), [
    "run_start",
    "job_start",
    "step_start",
    "step_end",
    "job_end",
    "run_summary",
  ]);
  const summary = h.events("run_summary")[0]!;
  assert.deepEqual(summary.status_counts, { SUCCESS: 1, BLOCKED: 1 });
  const jobs = summary.jobs as { job_id: string; steps: unknown[] }[];
  assert.deepEqual(jobs.map((j) => [j.job_id, j.steps.length]), [["a", 1]]);
  assert.equal(h.events("run_start")[0]?.state, h.state.path);
});

Deno.test("runFlow() releases a lock a failing step left held (D15)", async () => {
  await using h = await harness();
  const grab: StepDefinition = {
    type: "t_grab",
    origin: "test",
    run: async (_inputs, ctx) => {
      assert.equal(await ctx.locks.acquire("k", { ttlSeconds: 600 }), true);
      throw new Error("after acquire");
    },
  };
  const { testRegistry } = await import("./_test_kit.ts");
  await h.run([{ id: "a", steps: [{ id: "g", type: "t_grab" }] }], { registry: testRegistry([grab]) });
  assert.equal(await h.state.acquireLock("k", { owner: "other" }), true);
});

Deno.test("normaliseResult() enforces statuses, adds reason and rejects non-JSON outputs", async (t) => {
  const { normaliseResult } = await import("./step_loop.ts");
  await t.step("absent status is SUCCESS, reason added once", () => {
    assert.deepEqual(normaliseResult({ outputs: { a: 1 }, reason: "r" }), {
      status: "SUCCESS",
      output: { a: 1, reason: "r" },
    });
    assert.deepEqual(normaliseResult({ status: "SKIPPED", outputs: { reason: "own" }, reason: "r" }).output, {
      reason: "own",
    });
    assert.deepEqual(normaliseResult(undefined), { status: "SUCCESS", output: {} });
  });
  await t.step("bad status and non-JSON values fail the step", () => {
    assert.throws(() => normaliseResult({ status: "DONE" }), { message: 'invalid step status "DONE"' });
    const bad = { outputs: { d: new Date(0) } } as unknown as Parameters<typeof normaliseResult>[0];
    assert.throws(() => normaliseResult(bad), { code: "step" });
    const nan = { outputs: { n: Number.NaN } };
    assert.throws(() => normaliseResult(nan), { code: "step" });
  });
});
