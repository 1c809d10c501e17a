// `aetherflow plugin hash|inspect|pin|verify` through the real CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { runCli, tempDir } from "./_helpers.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";

Deno.test("plugin hash prints the sha256 to pin", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const r = await runCli(["plugin", "hash", p.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${p.sha256}  ${p.path}\n`);
  const missing = await runCli(["plugin", "hash", join(dir.path, "nope.wasm")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Plugin file not found: .*nope\.wasm/);
});

Deno.test("plugin inspect shows exports, imports and the descriptor", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const r = await runCli(["plugin", "inspect", "--json", p.path]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.sha256, p.sha256);
  assert.ok(info.exports.includes("aetherflow_step (function)"));
  assert.ok(info.imports.includes("extism:host/user af_log (function)"));
  assert.equal(info.descriptor.name, "t_echo");
  const abi2 = await writeTestPlugin("h_abi2", dir.path);
  const bad = await runCli(["plugin", "inspect", abi2.path]);
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /Descriptor: error: .*ABI major 2/);
});

Deno.test("plugin pin writes a lock entry that plugin verify accepts, and verify catches a changed file", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_conn", dir.path);
  const lock = join(dir.path, "aetherflow.plugins.yaml");
  const pinned = await runCli([
    "plugin",
    "pin",
    p.path,
    "--lock",
    lock,
    "--grant",
    "resources=r1",
    "--grant",
    "files=artifacts",
    "--grant",
    "timeout_ms=5000",
  ]);
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.deepEqual(parseYaml(await Deno.readTextFile(lock)), {
    version: 1,
    plugins: [{
      path: "t_conn.wasm",
      sha256: p.sha256,
      grants: { files: "artifacts", timeout_ms: 5000, resources: ["r1"] },
    }],
  });
  await Deno.writeTextFile(join(dir.path, "flow.yaml"), "flow: {id: demo}\n");
  const ok = await runCli(["plugin", "verify", join(dir.path, "flow.yaml")]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK .*t_conn\.wasm t_conn@1\.0\.0 sha256 /m);

  const other = await writeTestPlugin("t_echo", dir.path);
  await Deno.copyFile(other.path, p.path);
  const bad = await runCli(["plugin", "verify", "--lock", lock]);
  assert.equal(bad.code, 2);
  assert.ok(bad.stdout.includes(`pinned sha256 ${p.sha256}, file sha256 ${other.sha256}`), bad.stdout);

  const unknown = await runCli(["plugin", "pin", p.path, "--lock", lock, "--grant", "network=all"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown grant "network"/);
});

Deno.test("run: a memory grant above the ceiling is clamped to the 256 MiB the process allows, and says so", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("h_membomb", dir.path);
  const lock = join(dir.path, "aetherflow.plugins.yaml");
  const pinned = await runCli(["plugin", "pin", p.path, "--lock", lock, "--grant", "memory_mb=1024"]);
  assert.equal(pinned.code, 0, pinned.stderr);
  await Deno.writeTextFile(
    join(dir.path, "flow.yaml"),
    `flow:\n  id: demo\n  workspace: {root: ${dir.path}/ws, cleanup_policy: never}\n  state: {path: ${dir.path}/s.db}\n` +
      "jobs:\n  - id: j\n    steps:\n      - {id: bomb, type: h_membomb, inputs: {}}\n",
  );
  const r = await runCli(["run", join(dir.path, "flow.yaml")]);
  assert.equal(r.code, 1, r.stderr);
  // The trap names the cap that really stopped the plugin (V8's, 4096 pages), not the 1024 MiB granted.
  assert.match(r.stderr, /h_membomb@1\.0\.0 trapped .*\(memory cap 256 MiB, memory_mb\)/);
});
