import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

Deno.test("aetherflow settings shows each value with its source: env, settings file, default", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "settings.yaml");
  await Deno.writeTextFile(file, "log_format: json\n");
  const r = await runCli(["settings", "--json"], {
    env: { AETHERFLOW_LOG_LEVEL: "debug", AETHERFLOW_SETTINGS_FILE: file },
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.settings.log_level, "DEBUG");
  assert.equal(out.sources.log_level, "env:AETHERFLOW_LOG_LEVEL");
  assert.equal(out.settings.log_format, "json");
  assert.match(out.sources.log_format, /^file:/);
  assert.equal(out.sources.plugin_strict, "default");

  const text = await runCli(["settings"], { env: { AETHERFLOW_CONNECTOR_CACHE_DISABLED: "yes" } });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^connector_cache_disabled\s+true\s+\(env:AETHERFLOW_CONNECTOR_CACHE_DISABLED/m);
});

Deno.test("aetherflow settings rejects an unknown settings-file key by name with exit 2", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "settings.json");
  await Deno.writeTextFile(file, '{"log_fromat": "json"}');
  const r = await runCli(["settings"], { env: { AETHERFLOW_SETTINGS_FILE: file } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /log_fromat/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
