import assert from "node:assert/strict";
import { GrantsSchema } from "../abi/mod.ts";
import { DEFAULT_LIMITS, effectiveGrants, hostMatches, LIMIT_CEILINGS } from "./grants.ts";

const caps = (c: Partial<{ hosts: string[]; files: string; resources: string[] }>) => ({
  hosts: [],
  resources: [],
  dirs: [],
  ...c,
});

Deno.test("effectiveGrants() grants only the intersection of request and grant", async (t) => {
  const CASES = [
    ["host asked and granted", caps({ hosts: ["api.acme.example"] }), { hosts: ["api.acme.example"] }, [
      "api.acme.example",
    ]],
    ["host asked, not granted", caps({ hosts: ["api.acme.example"] }), { hosts: ["other.example"] }, []],
    ["granted, not asked", caps({}), { hosts: ["api.acme.example"] }, []],
    ["glob grant covers a literal ask", caps({ hosts: ["a.internal.example"] }), {
      hosts: ["*.internal.example"],
    }, ["a.internal.example"]],
    ["glob ask narrowed to a literal grant", caps({ hosts: ["*.example"] }), { hosts: ["x.example"] }, [
      "x.example",
    ]],
  ] as const;
  for (const [name, c, g, want] of CASES) {
    await t.step(name, () => {
      assert.deepEqual(effectiveGrants(c, GrantsSchema.parse(g)).hosts, want);
    });
  }
});

Deno.test("effectiveGrants() needs both sides for files and resources", () => {
  const g = GrantsSchema.parse({ files: "artifacts", resources: ["r1", "r2"] });
  const asked = effectiveGrants(caps({ files: "artifacts", resources: ["r2", "r3"] }), g);
  assert.equal(asked.artifacts, true);
  assert.deepEqual(asked.resources, ["r2"]);
  const notAsked = effectiveGrants(caps({}), g);
  assert.equal(notAsked.artifacts, false);
  assert.deepEqual(notAsked.resources, []);
  assert.equal(effectiveGrants(caps({ files: "artifacts" }), GrantsSchema.parse({})).artifacts, false);
});

Deno.test("effectiveGrants() applies default limits and clamps to the ceilings", () => {
  const d = effectiveGrants(caps({}), GrantsSchema.parse({}));
  assert.equal(d.timeoutMs, DEFAULT_LIMITS.timeout_ms);
  assert.equal(d.memoryMb, DEFAULT_LIMITS.memory_mb);
  assert.equal(d.maxOutputBytes, DEFAULT_LIMITS.max_output_bytes);
  const big = effectiveGrants(caps({}), GrantsSchema.parse({ timeout_ms: 10 ** 9, memory_mb: 10 ** 6 }));
  assert.equal(big.timeoutMs, LIMIT_CEILINGS.timeout_ms);
  assert.equal(big.memoryMb, LIMIT_CEILINGS.memory_mb);
});

Deno.test("hostMatches() treats only * as a wildcard", () => {
  assert.equal(hostMatches("a.b.example", "*.example"), true);
  assert.equal(hostMatches("aXb", "a.b"), false);
  assert.equal(hostMatches("API.example", "api.example"), true);
});

Deno.test("effectiveGrants() maps only the directories the plugin asked for and the operator granted", () => {
  const g = GrantsSchema.parse({
    files: "artifacts",
    dirs: { "/inbox/": { path: "/srv/inbox", mode: "rw" }, "/secrets": { path: "/etc/app", mode: "rw" } },
  });
  const asked = effectiveGrants({ ...caps({ files: "artifacts" }), dirs: ["/inbox", "/outbox"] }, g);
  assert.deepEqual(Object.keys(asked.dirs), ["/inbox/"]);
  assert.deepEqual(effectiveGrants(caps({ files: "artifacts" }), g).dirs, {});
  assert.deepEqual(effectiveGrants({ ...caps({}), dirs: ["/inbox"] }, g).dirs, {}, "no file access asked");
});
