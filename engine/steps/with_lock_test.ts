import assert from "node:assert/strict";
import { StepError } from "../errors.ts";
import { innerStepOf, withLockStep } from "./with_lock.ts";
import { stepInputIssues } from "./inputs.ts";
import { fakeContext, runStep } from "./_test_context.ts";

Deno.test("with_lock runs the inner step under the lock and returns its result unchanged", async () => {
  const seen: unknown[] = [];
  const ctx = fakeContext({
    stepId: "outer",
    runNested: (step) => {
      seen.push(step);
      return Promise.resolve({ status: "SKIPPED", outputs: { has_data: false }, reason: "none" });
    },
  });
  const res = await runStep(withLockStep, {
    lock_key: "daily",
    step: { type: "check_items", inputs: { items: [] } },
    wait_seconds: "1.5",
  }, ctx);
  assert.deepEqual(res, { status: "SKIPPED", outputs: { has_data: false }, reason: "none" });
  assert.deepEqual(seen, [{ id: "outer_inner", type: "check_items", inputs: { items: [] } }]);
  assert.deepEqual(ctx.calls, ["acquire daily ttl=600 wait=1.5", "release daily"]);
});

Deno.test("with_lock fails fast with `Lock not acquired` and runs nothing", async () => {
  let ran = false;
  const ctx = fakeContext({
    held: new Set(["k"]),
    runNested: () => {
      ran = true;
      return Promise.resolve({});
    },
  });
  await assert.rejects(
    Promise.resolve(runStep(withLockStep, { lock_key: "k", step: { type: "t" } }, ctx)),
    { name: "StepError", message: "Lock not acquired: k", code: "step:lock_not_acquired" },
  );
  assert.equal(ran, false);
  assert.deepEqual(ctx.calls, ["acquire k ttl=600 wait=0"], "nothing to release");
});

Deno.test("with_lock releases the lock when the inner step fails", async () => {
  const ctx = fakeContext({ runNested: () => Promise.reject(new StepError("boom")) });
  await assert.rejects(
    Promise.resolve(
      runStep(withLockStep, { lock_key: "k", step: { type: "t", id: "in" }, ttl_seconds: 5 }, ctx),
    ),
    { message: "boom" },
  );
  assert.deepEqual(ctx.calls, ["acquire k ttl=5 wait=0", "release k"]);
});

Deno.test("with_lock keeps the inner error when the release fails too", async () => {
  const ctx = fakeContext({ runNested: () => Promise.reject(new StepError("inner")) });
  ctx.locks.release = () => {
    throw new Error("db gone");
  };
  await assert.rejects(Promise.resolve(runStep(withLockStep, { lock_key: "k", step: { type: "t" } }, ctx)), {
    message: "inner",
  });
  assert.ok(ctx.calls.includes("warn Lock release failed lock_key=k: db gone"));
});

const PLAN_ERRORS = [
  ["missing inputs in declaration order", {}, 'Step s missing inputs: ["lock_key","step"]'],
  ["missing step type", { lock_key: "k", step: {} }, 'Step s missing inputs: ["step.type"]'],
  ["step not a map", { lock_key: "k", step: "x" }, "with_lock inputs.step must be a map"],
  [
    "empty key",
    { lock_key: "", step: { type: "t" } },
    "with_lock inputs.lock_key must be a non-empty string",
  ],
  ["unknown nested key", { lock_key: "k", step: { type: "t", inptus: {} } }, "Unknown input step.inptus"],
  ["unknown top key", { lock_key: "k", step: { type: "t" }, ttl: 1 }, "Unknown input ttl"],
  [
    "ttl not an integer",
    { lock_key: "k", step: { type: "t" }, ttl_seconds: 1.5 },
    "with_lock inputs.ttl_seconds must be an integer",
  ],
  [
    "negative wait",
    { lock_key: "k", step: { type: "t" }, wait_seconds: -1 },
    "with_lock inputs.wait_seconds must be >= 0",
  ],
  [
    "wait not a number",
    { lock_key: "k", step: { type: "t" }, wait_seconds: "soon" },
    "with_lock inputs.wait_seconds must be a number",
  ],
  [
    "inner inputs not a map",
    { lock_key: "k", step: { type: "t", inputs: [1] } },
    "with_lock inputs.step.inputs must be a map",
  ],
] as const;

Deno.test("with_lock rejects bad inputs with catalogue messages", async (t) => {
  for (const [name, inputs, msg] of PLAN_ERRORS) {
    await t.step(name, async () => {
      await assert.rejects(runStep(withLockStep, { ...inputs }, fakeContext()), {
        name: "StepError",
        message: msg,
      });
    });
  }
});

Deno.test("with_lock applies defaults and typed strings", async () => {
  const seen: unknown[] = [];
  const ctx = fakeContext({
    runNested: (step) => {
      seen.push(step);
      return Promise.resolve({});
    },
  });
  await runStep(withLockStep, { lock_key: 7, step: { type: "t", inputs: null }, ttl_seconds: " 30 " }, ctx);
  assert.deepEqual(ctx.calls, ["acquire 7 ttl=30 wait=0", "release 7"]);
  assert.deepEqual(seen, [{ id: "s_inner", type: "t", inputs: {} }]);
});

Deno.test("with_lock validation reports unknown keys, nested ones with their loc", () => {
  assert.deepEqual(
    stepInputIssues(withLockStep, { lock_kye: "k", step: { tpye: "x", inputs: { whatever: 1 } } }),
    [
      {
        code: "semantic:unknown_input",
        loc: "step.tpye",
        msg: "Extra inputs are not permitted (did you mean 'type'?)",
      },
      {
        code: "semantic:unknown_input",
        loc: "lock_kye",
        msg: "Extra inputs are not permitted (did you mean 'lock_key'?)",
      },
    ],
  );
  assert.deepEqual(innerStepOf({ step: { type: "check_items", inputs: { items: [] } } }), {
    type: "check_items",
    inputs: { items: [] },
  });
  assert.equal(innerStepOf({ step: "{{x}}" }), null);
});

Deno.test("with_lock against a real StateStore: a second run is refused while the first holds the key", async () => {
  const { StateStore } = await import("../state/mod.ts");
  const dir = await Deno.makeTempDir({ prefix: "af-with-lock-" });
  try {
    using store = StateStore.open(`${dir}/state.db`);
    const bind = (runId: string) => ({
      acquire: (key: string, o: { ttlSeconds: number; waitSeconds?: number }) =>
        store.acquireLock(key, { owner: runId, ...o }),
      release: (key: string) => void store.releaseLock(key, runId),
    });
    const second = fakeContext({ stepId: "b" });
    second.locks = bind("r2");
    let innerError: unknown;
    const first = fakeContext({
      stepId: "a",
      runNested: async () => {
        innerError = await Promise.resolve(
          runStep(withLockStep, { lock_key: "k", step: { type: "t" } }, second),
        )
          .then(() => null, (e: unknown) => e);
        return { status: "SUCCESS", outputs: {} };
      },
    });
    first.locks = bind("r1");
    await runStep(withLockStep, { lock_key: "k", step: { type: "t" } }, first);
    assert.ok(
      innerError instanceof StepError && innerError.message === "Lock not acquired: k",
      String(innerError),
    );
    assert.equal(await store.acquireLock("k", { owner: "r3" }), true, "released after the run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
