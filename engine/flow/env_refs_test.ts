import assert from "node:assert/strict";
import { referencedEnvKeys } from "./env_refs.ts";
import type { FlowSpec, ProfileSpec } from "./flow_model.ts";

Deno.test("referencedEnvKeys() collects env keys from the flow and the profiles its resources use", () => {
  const flow = {
    flow: { id: "f", workspace: { root: "{{env.ROOT}}" }, state: { path: "s.db" } },
    resources: { db: { kind: "db", driver: "pg", profile: "main", config: {}, options: {} } },
    jobs: [{ id: "j", steps: [{ id: "s", type: "t", inputs: { a: "{{env.B:x}}-{{env.A}}", n: 1 } }] }],
  } as unknown as FlowSpec;
  const profiles = {
    main: { config: { host: "{{env.DB_HOST}}" } },
    unused: { config: { host: "{{env.NOT_USED}}" } },
  } as unknown as Record<string, ProfileSpec>;
  assert.deepEqual(referencedEnvKeys(flow, profiles), ["A", "B", "DB_HOST", "ROOT"]);
});
