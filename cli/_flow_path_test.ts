import assert from "node:assert/strict";
import { BOTH_FLOW_MSG, MISSING_FLOW_MSG, resolveFlowPath, resolveOptionalFlowPath } from "./_flow_path.ts";

Deno.test("resolveFlowPath() applies the docs/cli.md rules [D1]", async (t) => {
  const CASES = [
    ["positional only", { positional: "./f.yaml" }, "./f.yaml"],
    ["option only", { option: "f.yaml" }, "f.yaml"],
    ["both, same file after normalising", { positional: "./f.yaml", option: "f.yaml" }, "f.yaml"],
    ["both, different", { positional: "f.yaml", option: "g.yaml" }, new Error(BOTH_FLOW_MSG)],
    ["neither", {}, new Error(MISSING_FLOW_MSG)],
  ] as const;
  for (const [name, args, want] of CASES) {
    await t.step(name, () => {
      if (want instanceof Error) {
        assert.throws(() => resolveFlowPath(args), { name: "UsageError", message: want.message });
      } else assert.equal(resolveFlowPath(args), want);
    });
  }
  await t.step("optional variant returns undefined for neither", () => {
    assert.equal(resolveOptionalFlowPath({}), undefined);
  });
});
