import assert from "node:assert/strict";
import { checkItemsStep } from "./check_items.ts";
import { stepInputIssues } from "./inputs.ts";
import { fakeContext, runStep } from "./_test_context.ts";

const CASES = [
  ["a non-empty list passes", { items: [1, 2] }, {
    status: "SUCCESS",
    outputs: { has_data: true, count: 2 },
  }],
  ["an empty list is SKIPPED", { items: [] }, {
    status: "SKIPPED",
    outputs: { has_data: false, count: 0 },
    reason: "count(0) < min_count(1)",
  }],
  ["min_count is honoured", { items: ["a"], min_count: 5 }, {
    status: "SKIPPED",
    outputs: { has_data: false, count: 1 },
    reason: "count(1) < min_count(5)",
  }],
  ["a comma string is split, trimmed, empties dropped", { items: " a, b ,,c, ", min_count: "+3" }, {
    status: "SUCCESS",
    outputs: { has_data: true, count: 3 },
  }],
  ["an empty string has no items", { items: "" }, {
    status: "SKIPPED",
    outputs: { has_data: false, count: 0 },
    reason: "count(0) < min_count(1)",
  }],
  ["min_count 0 passes an empty list", { items: [], min_count: 0 }, {
    status: "SUCCESS",
    outputs: { has_data: true, count: 0 },
  }],
  ["a null min_count takes the default", { items: [], min_count: null }, {
    status: "SKIPPED",
    outputs: { has_data: false, count: 0 },
    reason: "count(0) < min_count(1)",
  }],
] as const;

Deno.test("check_items gates on the item count", async (t) => {
  for (const [name, inputs, want] of CASES) {
    await t.step(name, async () => {
      assert.deepEqual(await runStep(checkItemsStep, { ...inputs }, fakeContext()), want);
    });
  }
});

const ERRORS = [
  ["missing items", {}, 'Step s missing inputs: ["items"]'],
  [
    "items of another type",
    { items: 3 },
    "check_items expects 'items' to be a list or a comma-separated string",
  ],
  [
    "a present null items is present, but not a list",
    { items: null },
    "check_items expects 'items' to be a list or a comma-separated string",
  ],
  [
    "a non-integer min_count",
    { items: [], min_count: "2.5" },
    "check_items inputs.min_count must be an integer",
  ],
  ["a boolean min_count", { items: [], min_count: true }, "check_items inputs.min_count must be an integer"],
  ["an unknown key at run time", { items: [], extra: 1 }, "Unknown input extra"],
] as const;

Deno.test("check_items errors carry the catalogue messages", async (t) => {
  for (const [name, inputs, msg] of ERRORS) {
    await t.step(name, async () => {
      await assert.rejects(runStep(checkItemsStep, { ...inputs }, fakeContext()), {
        name: "StepError",
        message: msg,
      });
    });
  }
});

Deno.test("check_items validation reports unknown keys with a hint", () => {
  assert.deepEqual(stepInputIssues(checkItemsStep, { items: "{{x}}", min_cuont: 2 }), [
    {
      code: "semantic:unknown_input",
      loc: "min_cuont",
      msg: "Extra inputs are not permitted (did you mean 'min_count'?)",
    },
  ]);
  assert.deepEqual(stepInputIssues(checkItemsStep, { items: [], min_count: 1 }), []);
});
