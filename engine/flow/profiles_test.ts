import assert from "node:assert/strict";
import { scanProfiles, validateProfiles } from "./profiles.ts";
import { parse } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";

Deno.test("validateProfiles() checks the profiles document", async (t) => {
  const CASES = [
    ["no profiles configured", null, []],
    ["empty document", {}, []],
    ["a valid profile", { p: { config: { a: 1 }, options: {}, decode: { config: { a: true } } } }, []],
    ["typo with hint", { p: { conf: {} } }, [
      "profiles.p.conf schema:extra_forbidden Extra inputs are not permitted (did you mean 'config'?)",
    ]],
    ["no kind or env keys", { p: { kind: "db", env: {} } }, [
      "profiles.p.kind schema:extra_forbidden Extra inputs are not permitted",
      "profiles.p.env schema:extra_forbidden Extra inputs are not permitted",
    ]],
    ["non-map root", ["a"], ["profiles schema:dict_type Input should be a valid dictionary"]],
    ["non-map profile", { p: 3 }, [
      "profiles.p schema:model_type Input should be a valid dictionary or instance of ProfileSpec",
    ]],
    ["non-map config", { p: { config: "x" } }, [
      "profiles.p.config schema:dict_type Input should be a valid dictionary",
    ]],
  ] as const;
  for (const [name, raw, want] of CASES) {
    await t.step(name, () => {
      const res = validateProfiles(raw);
      assert.deepEqual(res.issues.map((i) => `${i.loc} ${i.code} ${i.msg}`), [...want]);
      if (want.length > 0) assert.deepEqual(res.profiles, {});
    });
  }
});

Deno.test("scanProfiles() scans every profile with env only", () => {
  const { profiles } = validateProfiles({
    a: {
      config: { u: "{{env.U}}", ok: "{{env.SET}}", s: "{{steps.x.y}}" },
      decode: { config_paths: ["p{{env.SET}}"] },
    },
  });
  const res = scanProfiles(profiles, { snapshot: { SET: "1" }, strictEnv: false });
  assert.deepEqual(res.warnings.map((i) => `${i.loc} ${i.msg}`), ["profiles.a.config.u Missing env env.U"]);
  assert.deepEqual(res.errors.map((i) => `${i.loc} ${i.code}`), [
    "profiles.a.decode.config_paths[0] template:syntax",
  ]);
});

Deno.test("validateProfiles() hands on a YAML 1.1 date in config as PyYAML's text", () => {
  const raw = parse("p: {config: {since: 2024-01-02, at: [2001-12-14T21:59:43Z]}}", YAML11_OPTIONS);
  const { profiles, issues } = validateProfiles(raw);
  assert.deepEqual(issues, []);
  assert.deepEqual(profiles.p?.config, { since: "2024-01-02", at: ["2001-12-14 21:59:43+00:00"] });
});
