import assert from "node:assert/strict";
import { join } from "node:path";
import { readProfilesSource } from "./profiles_source.ts";

Deno.test("readProfilesSource() returns null raw without profile variables", () => {
  assert.deepStrictEqual(readProfilesSource({}), { raw: null, issues: [] });
});

Deno.test("readProfilesSource() reports both variables as a conflict", () => {
  const got = readProfilesSource({ AETHERFLOW_PROFILES_JSON: "{}", AETHERFLOW_PROFILES_FILE: "p.yaml" });
  assert.equal(got.raw, null);
  assert.deepStrictEqual(got.issues, [{
    code: "semantic:profiles_conflict",
    loc: "profiles",
    msg: "Set only one of AETHERFLOW_PROFILES_JSON or AETHERFLOW_PROFILES_FILE",
  }]);
});

Deno.test("readProfilesSource() parses JSON text", () => {
  const got = readProfilesSource({ AETHERFLOW_PROFILES_JSON: '{"p":{"config":{"a":1}}}' });
  assert.deepStrictEqual(got, { raw: { p: { config: { a: 1 } } }, issues: [] });
});

Deno.test("readProfilesSource() reports unparsable JSON as profiles_invalid", () => {
  const got = readProfilesSource({ AETHERFLOW_PROFILES_JSON: "{bad" });
  assert.equal(got.issues.length, 1);
  assert.equal(got.issues[0]?.code, "semantic:profiles_invalid");
  assert.equal(got.issues[0]?.loc, "profiles");
  assert.match(got.issues[0]?.msg ?? "", /^Invalid profile configuration: /);
});

Deno.test("readProfilesSource() reads a YAML 1.1 file relative to cwd; empty means {}", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "p.yaml"), "p:\n  options:\n    ssl: yes\n");
    await Deno.writeTextFile(join(dir, "empty.yaml"), "# nothing\n");
    const got = readProfilesSource({ AETHERFLOW_PROFILES_FILE: "p.yaml" }, { cwd: dir });
    assert.deepStrictEqual(got.raw, { p: { options: { ssl: true } } });
    assert.equal(got.file, join(dir, "p.yaml"));
    assert.deepStrictEqual(got.issues, []);
    const empty = readProfilesSource({ AETHERFLOW_PROFILES_FILE: join(dir, "empty.yaml") });
    assert.deepStrictEqual(empty.raw, {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readProfilesSource() reports a missing or broken file as profiles_invalid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "bad.yaml"), "p: [\n");
    const missing = readProfilesSource({ AETHERFLOW_PROFILES_FILE: join(dir, "nope.yaml") });
    assert.deepStrictEqual(missing.issues.map((i) => [i.code, i.loc, i.msg]), [[
      "semantic:profiles_invalid",
      "profiles",
      `Invalid profile configuration: Profiles file not found: ${join(dir, "nope.yaml")}`,
    ]]);
    const bad = readProfilesSource({ AETHERFLOW_PROFILES_FILE: join(dir, "bad.yaml") });
    assert.equal(bad.issues[0]?.code, "semantic:profiles_invalid");
    assert.equal(bad.issues[0]?.file, join(dir, "bad.yaml"));
    assert.equal(typeof bad.issues[0]?.line, "number");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
