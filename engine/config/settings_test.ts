import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { loadSettings, parseBool } from "./settings.ts";

const BOOL_CASES = [
  ["1", true],
  ["TRUE", true],
  [" yes ", true],
  ["y", true],
  ["On", true],
  ["0", false],
  ["false", false],
  ["No", false],
  ["n", false],
  ["off", false],
  ["", false],
  ["maybe", undefined],
] as const;

Deno.test("parseBool() follows D17", async (t) => {
  for (const [text, want] of BOOL_CASES) {
    await t.step(JSON.stringify(text), () => assert.equal(parseBool(text), want));
  }
});

Deno.test("loadSettings() gives defaults with their source", () => {
  const s = loadSettings({});
  assert.equal(s.plugin_strict, true);
  assert.equal(s.log_level, "INFO");
  assert.equal(s.log_format, "text");
  assert.equal(s.connector_cache_default, "run");
  assert.equal(s.connector_cache_disabled, false);
  assert.deepStrictEqual(s.plugin_paths, []);
  assert.match(s.work_root, /work$/);
  assert.equal(s.sources.log_level, "default");
  assert.equal(s.settings_file, null);
  assert.deepStrictEqual(s.warnings, []);
});

Deno.test("loadSettings() parses env values", () => {
  const s = loadSettings({
    AETHERFLOW_PLUGIN_PATHS: " a , ,b,",
    AETHERFLOW_PLUGIN_STRICT: "no",
    AETHERFLOW_CONNECTOR_CACHE_DISABLED: "1",
    AETHERFLOW_LOG_LEVEL: "debug",
    AETHERFLOW_LOG_FORMAT: "JSON",
    AETHERFLOW_WORK_ROOT: "/w",
  });
  assert.deepStrictEqual(s.plugin_paths, ["a", "b"]);
  assert.equal(s.plugin_strict, false);
  assert.equal(s.connector_cache_disabled, true);
  assert.equal(s.log_level, "DEBUG");
  assert.equal(s.log_format, "json");
  assert.equal(s.work_root, "/w");
  assert.equal(s.sources.plugin_strict, "env:AETHERFLOW_PLUGIN_STRICT");
});

Deno.test("loadSettings() warns on a bad boolean and keeps the default", () => {
  const s = loadSettings({ AETHERFLOW_PLUGIN_STRICT: "maybe", AETHERFLOW_LOG_LEVEL: "loud" });
  assert.equal(s.plugin_strict, true);
  assert.equal(s.log_level, "INFO");
  assert.equal(s.sources.plugin_strict, "default");
  assert.equal(s.warnings.length, 2);
  assert.match(s.warnings[0] ?? "", /AETHERFLOW_PLUGIN_STRICT/);
});

Deno.test("loadSettings() applies the settings file over env, and overrides over both", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "s.yaml"),
      "log_level: warning\nplugin_paths: [p1, p2]\nconnector_cache_disabled: yes\n",
    );
    const s = loadSettings(
      { AETHERFLOW_SETTINGS_FILE: "s.yaml", AETHERFLOW_LOG_LEVEL: "DEBUG", AETHERFLOW_LOG_FORMAT: "json" },
      { cwd: dir, overrides: { log_format: "text" } },
    );
    assert.equal(s.log_level, "WARNING");
    assert.deepStrictEqual(s.plugin_paths, ["p1", "p2"]);
    assert.equal(s.connector_cache_disabled, true);
    assert.equal(s.log_format, "text");
    assert.equal(s.sources.log_level, `file:${join(dir, "s.yaml")}`);
    assert.equal(s.sources.log_format, "override");
    assert.equal(s.settings_file, join(dir, "s.yaml"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSettings() rejects unknown keys, bad values and a missing settings file", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "typo.json"), '{"log_levle": "DEBUG"}');
    await Deno.writeTextFile(join(dir, "bad.json"), '{"plugin_strict": "perhaps"}');
    const cases = [
      [
        "unknown key with hint",
        "typo.json",
        "Unknown setting 'log_levle' in settings file",
        "(did you mean 'log_level'?)",
      ],
      ["bad value", "bad.json", "Invalid value for setting 'plugin_strict'", ""],
      ["missing file", "nope.yaml", "Settings file not found", ""],
    ] as const;
    for (const [name, file, msg, hint] of cases) {
      await t.step(name, () => {
        assert.throws(
          () => loadSettings({ AETHERFLOW_SETTINGS_FILE: file }, { cwd: dir }),
          (err: unknown) => {
            assert.ok(err instanceof UsageError);
            assert.equal(err.exitCode, 2);
            assert.ok(err.message.includes(msg) && err.message.includes(hint), err.message);
            return true;
          },
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
