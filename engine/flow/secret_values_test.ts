import assert from "node:assert/strict";
import { ConnectorRegistry } from "../connectors/registry.ts";
import { StepRegistry } from "../steps/registry.ts";
import { parseFlow } from "./parse_flow.ts";
import { flowSecretValues } from "./secret_values.ts";

Deno.test("flowSecretValues(): declared connector fields and secret step inputs, literal or from env", () => {
  const parsed = parseFlow({
    flow: { id: "f" },
    resources: {
      m: { kind: "mail", driver: "smtp", profile: "p", config: { host: "h", password: "literal-pw" } },
      r: {
        kind: "rest",
        driver: "httpx",
        config: { bearer_token: "{{env.TOK}}", headers: { "X-Api-Key": "key-0123" } },
      },
      missing: { kind: "rest", driver: "httpx", config: { bearer_token: "{{env.NOPE}}" } },
      e: { kind: "echo", driver: "echo", config: { password: "not-declared" } },
      // Too short to mask without masking ordinary words (docs/secrets.md): never registered.
      short: { kind: "mail", driver: "smtp", config: { host: "h", password: "pw" } },
    },
    jobs: [{
      id: "j",
      steps: [
        { id: "z", type: "zip", inputs: { items: ["a"], dest_path: "o.zip", password: "{{env.ZW}}" } },
        { id: "u", type: "unzip", inputs: { archives: ["a"], dest_dir: "x", password: "{{steps.z.pw}}" } },
        {
          id: "l",
          type: "with_lock",
          inputs: {
            lock_key: "k",
            step: { type: "zip", inputs: { items: [], dest_path: "o", password: "nested" } },
          },
        },
      ],
    }],
  });
  assert.ok(parsed.flow, JSON.stringify(parsed));
  const found = flowSecretValues(parsed.flow, {
    steps: StepRegistry.withBuiltins(),
    connectors: ConnectorRegistry.withBuiltins(),
    profiles: { p: { config: { username: "u" } } },
    snapshot: { TOK: "tok-from-env", ZW: "zip-from-env" },
  });
  assert.deepEqual(found.sort(), ["key-0123", "literal-pw", "nested", "tok-from-env", "zip-from-env"]);
});
