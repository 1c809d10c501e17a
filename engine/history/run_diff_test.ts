import assert from "node:assert/strict";
import { diffRuns, type DiffSide } from "./run_diff.ts";

function side(over: Partial<DiffSide> = {}): DiffSide {
  return {
    flowSha256: "f1",
    version: "0.1.0",
    plugins: [{ name: "p", version: "1.0.0", sha256: "a" }],
    bundle: null,
    env: { REGION: "eu", PASS: "***" },
    settings: { log_level: "INFO" },
    steps: new Map([["j/s", { jobId: "j", stepId: "s", inputs: { a: 1, b: { c: [1, 2] } } }]]),
    ...over,
  };
}

const CASES: [string, Partial<DiffSide>, Partial<DiffSide>, [string, string][]][] = [
  ["identical sides: nothing", {}, {}, []],
  ["flow file changed", {}, { flowSha256: "f2" }, [["flow", "flow_sha256"]]],
  ["plugin upgraded, added, removed", {}, {
    plugins: [{ name: "p", version: "1.1.0", sha256: "b" }, { name: "q", version: "1", sha256: "c" }],
  }, [["plugin", "p"], ["plugin", "q"]]],
  ["two secrets cannot be compared", {}, { env: { REGION: "eu", PASS: "***" } }, []],
  ["env key changed and added", {}, { env: { REGION: "us", PASS: "***", NEW: "x" } }, [["env", "NEW"], [
    "env",
    "REGION",
  ]]],
  ["nested input changed (by path), key order ignored", {}, {
    steps: new Map([["j/s", { jobId: "j", stepId: "s", inputs: { b: { c: [1, 3] }, a: 1 } }]]),
  }, [["step_inputs", "j/s inputs.b.c"]]],
  ["a step missing on one side is an outcome, not a change", {}, { steps: new Map() }, []],
  ["today's flow: unknown inputs and bundle are not compared", { bundle: { id: "x" } }, {
    steps: null,
    bundle: undefined,
  }, []],
  ["unknown versions are not compared", { version: null }, { version: "2" }, []],
];

Deno.test("diffRuns() names causes only", async (t) => {
  for (const [name, a, b, want] of CASES) {
    await t.step(name, () => {
      assert.deepEqual(diffRuns(side(a), side(b)).map((c) => [c.kind, c.key]), want);
    });
  }
});

Deno.test("diffRuns() reports before and after values", () => {
  const [c] = diffRuns(side(), side({ env: { REGION: "us", PASS: "***" } }));
  assert.deepEqual(c, { kind: "env", key: "REGION", before: "eu", after: "us" });
});
