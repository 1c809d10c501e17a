import assert from "node:assert/strict";
import { parseDocument } from "yaml";
import { MAX_YAML_NODES, yamlBudgetProblem, yamlNodeEstimate } from "./yaml_budget.ts";

// Nodes of a parsed document (scalars, maps, sequences, keys included).
function actualNodes(text: string): number {
  let n = 0;
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    n++;
    const items = (node as { items?: unknown[] }).items;
    if (Array.isArray(items)) {
      for (const item of items) {
        const pair = item as { key?: unknown; value?: unknown };
        if (typeof item === "object" && item !== null && "key" in pair) {
          walk(pair.key);
          walk(pair.value);
        } else walk(item);
      }
    }
  };
  walk(parseDocument(text).contents);
  return n;
}

Deno.test("yamlNodeEstimate() is not below the real node count of the usual shapes", () => {
  const SAMPLES = [
    "a: 1\nb: [1, 2, 3]\nc: {x: 1, y: [a, b]}\n",
    "jobs:\n  - id: a\n    steps:\n      - {id: s, type: noop, inputs: {a: 1, b: 2}}\n",
    "- 1\n- 2\n- - 3\n  - 4\n",
    "[" + "0,".repeat(999) + "0]",
    "{" + Array.from({ length: 500 }, (_, i) => `k${i}: ${i}`).join(", ") + "}",
    "a: |\n  one\n  two\nb: >-\n  folded\n",
    "k:\n  - a: 1\n    b: 2\n  - a: 3\n",
  ];
  for (const text of SAMPLES) {
    assert.ok(
      yamlNodeEstimate(text) >= actualNodes(text),
      `${yamlNodeEstimate(text)} < ${actualNodes(text)}: ${text}`,
    );
  }
});

Deno.test("yamlBudgetProblem() refuses a document over the node budget, whatever its shape", () => {
  assert.equal(yamlBudgetProblem("a: 1\n"), undefined);
  for (const text of ["x: [" + "0,".repeat(MAX_YAML_NODES) + "0]", "- a\n".repeat(MAX_YAML_NODES)]) {
    assert.match(
      yamlBudgetProblem(text)!,
      new RegExp(`^Too many YAML nodes: about \\d+, limit is ${MAX_YAML_NODES}$`),
    );
  }
});
