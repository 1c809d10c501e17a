import assert from "node:assert/strict";
import { GrantsSchema } from "../abi/mod.ts";
import { DEFAULT_LIMITS, effectiveGrants, hostAllowed, LIMIT_CEILINGS } from "./grants.ts";

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
    // The red-team case: a matcher that reads `!` as negation would have allowed every host.
    ["a negated ask under a glob grant yields nothing", caps({ hosts: ["!x.example.com"] }), {
      hosts: ["*.example.com"],
    }, []],
    ["an ask with a port keeps the port", caps({ hosts: ["api.example:8443"] }), { hosts: ["*.example"] }, [
      "api.example:8443",
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

Deno.test("hostAllowed() matches canonical patterns against a parsed host and port", () => {
  assert.equal(hostAllowed(["*.example"], "a.b.example", 443), true);
  assert.equal(hostAllowed(["a.b"], "axb", 80), false);
  assert.equal(hostAllowed(["api.example:8443"], "api.example", 443), false);
  assert.equal(hostAllowed(["!x.example"], "y.example", 443), false, "an unparsable pattern allows nothing");
  assert.equal(hostAllowed([], "api.example", 443), false);
});

Deno.test("GrantsSchema refuses a host pattern outside the grammar where it is written", () => {
  for (const bad of ["!x.example.com", "*", "exa[mp]le.com", "{a,b}.example"]) {
    const r = GrantsSchema.safeParse({ hosts: [bad] });
    assert.equal(r.success, false, bad);
    assert.match(r.error!.issues[0]!.message, /host pattern/);
  }
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

Deno.test("the memory ceiling is the WASM memory cap every launcher gives V8 (docs/plugin-security.md)", async () => {
  const denoJson = await Deno.readTextFile(new URL("../../deno.json", import.meta.url));
  const compile = await Deno.readTextFile(new URL("../../scripts/compile.ts", import.meta.url));
  for (const text of [denoJson, compile]) {
    const pages = Number(/--wasm-max-mem-pages=(\d+)/.exec(text)?.[1]);
    assert.equal(pages * 64 / 1024, LIMIT_CEILINGS.memory_mb, "64 KiB pages");
  }
});
