import assert from "node:assert/strict";
import { renderFlowMeta } from "./flow_meta.ts";

Deno.test("renderFlowMeta() renders every string with env only and fills defaults", () => {
  const meta = renderFlowMeta(
    { id: "f-{{env.SUFFIX}}", description: "{{env.D:none}}", workspace: { root: "{{env.ROOT}}/ws" } },
    { SUFFIX: "x", ROOT: "/r" },
  );
  assert.equal(meta.id, "f-x");
  assert.equal(meta.workspace.root, "/r/ws");
  assert.equal(meta.workspace.cleanup_policy, "on_success");
  assert.deepEqual(meta.workspace.layout, {
    artifacts: "artifacts",
    scratch: "scratch",
    manifests: "manifests",
  });
  assert.match(meta.state.path, /aetherflow\.sqlite$/);
});

Deno.test("renderFlowMeta() failures are runtime errors (exit 1)", async (t) => {
  const CASES = [
    ["missing env", { id: "{{env.NOPE}}" }],
    ["disallowed root", { id: "{{run_id}}" }],
    ["rendered value breaks the model", { id: "{{env.N:5}}" }],
  ] as const;
  for (const [name, block] of CASES) {
    await t.step(name, () => {
      assert.throws(() => renderFlowMeta(block, {}), { code: "run:flow_meta", exitCode: 1 });
    });
  }
});
