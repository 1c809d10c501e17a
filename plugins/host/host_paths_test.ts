// The v1 additions for plugins that work on files outside the job and on built-in connectors
// (docs/plugin-abi.md "Directory grants", "Local files of a plugin connector"); the built-in connector side is in tests/plugin_builtin_connector_test.ts., against real
// plugins: the demo AssemblyScript plugins shipped in examples/ (their sources are in examples/plugins).
import assert from "node:assert/strict";
import { join } from "node:path";
import { testStepContext } from "../_testing.ts";
import { renderGrantDirs } from "../lock/plugin_lock.ts";
import { AetherflowError } from "../../engine/errors.ts";
import type { JsonObject } from "../../engine/types.ts";
import type { GrantsInput } from "../abi/mod.ts";
import { pluginStepDefinition } from "./plugin_step.ts";
import { loadWasmPlugin, type WasmPlugin } from "./wasm_plugin.ts";
import { sha256Hex } from "./wasm_bytes.ts";

const DEMO = new URL("../../examples/multiflows-local/uc1/plugins/", import.meta.url);
const ROOT = await Deno.makeTempDir({ prefix: "af-hostpaths-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

async function loadDemo(name: string, grants: GrantsInput): Promise<WasmPlugin> {
  const path = new URL(`${name}.wasm`, DEMO).pathname;
  return await loadWasmPlugin({ path, sha256: await sha256Hex(await Deno.readFile(path)), grants });
}

async function runStep(plugin: WasmPlugin, type: string, inputs: JsonObject) {
  const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
  const { ctx, lines } = testStepContext({ artifactsDir });
  const def = pluginStepDefinition(plugin, plugin.descriptor.steps.find((s) => s.type === type)!);
  return { result: await def.run(inputs, ctx), lines, artifactsDir };
}

Deno.test("grants.dirs paths render {{env.X}} / {{env.X:DEFAULT}}; a relative or unresolved path is exit 2", () => {
  const pin = {
    path: "p.wasm",
    grants: {
      files: "artifacts" as const,
      dirs: { "/in": { path: "{{env.BASE}}/./in/", mode: "rw" as const } },
    },
  };
  assert.deepEqual(renderGrantDirs(pin, { BASE: "/srv" }).dirs, { "/in": { path: "/srv/in/", mode: "rw" } });
  const withDefault = { path: "p.wasm", grants: { dirs: { "/o": { path: "{{env.NOPE:/tmp/x}}/o" } } } };
  assert.deepEqual(renderGrantDirs(withDefault, {}).dirs, { "/o": { path: "/tmp/x/o" } });
  assert.equal(renderGrantDirs({ path: "p.wasm", grants: {} }, {}).dirs, undefined);

  const missing = (() => {
    try {
      renderGrantDirs(pin, {});
    } catch (e) {
      return e;
    }
  })();
  assert.ok(missing instanceof AetherflowError);
  assert.equal(missing.exitCode, 2);
  assert.match(missing.message, /plugin p\.wasm: dirs\.\/in\.path: .*env\.BASE/);
  assert.throws(
    () => renderGrantDirs(pin, { BASE: "rel" }),
    (e: AetherflowError) =>
      e.exitCode === 2 && /must be an absolute path \(got "rel\/\.\/in\/"/.test(e.message),
  );
});

Deno.test("a plugin step writes into a granted directory created on demand and returns host paths", async () => {
  const inbox = join(ROOT, "granted-inbox"); // does not exist yet: the host creates it for the preopen
  const p = await loadDemo("demo_local_steps", {
    files: "artifacts",
    dirs: { "/demo_inbox": { path: inbox, mode: "rw" } },
  });
  try {
    const { result } = await runStep(p, "demo_prepare_inbox", {
      out_dir: `${inbox}/inbox`,
      zip_name: "s.zip",
    });
    assert.equal(result.status, "SUCCESS");
    // The output is the host path (a later built-in step or a mail body uses it), not the guest /demo_inbox/….
    assert.deepEqual(result.outputs, { demo_zip: join(inbox, "inbox", "s.zip") });
    const zip = await Deno.readFile(join(inbox, "inbox", "s.zip"));
    assert.deepEqual([...zip.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
    assert.deepEqual([...Deno.readDirSync(join(inbox, "inbox"))].map((e) => e.name), ["s.zip"]);

    // A relative out_dir is under the job's artifacts; an absolute one outside every grant is refused.
    const rel = await runStep(p, "demo_prepare_inbox", { out_dir: "here", zip_name: "r.zip" });
    assert.deepEqual(rel.result.outputs, { demo_zip: join(rel.artifactsDir, "here", "r.zip") });
    await assert.rejects(
      runStep(p, "demo_prepare_inbox", { out_dir: join(ROOT, "elsewhere"), zip_name: "x.zip" }),
      /out_dir .*elsewhere is outside the artifacts dir and every directory granted/,
    );
  } finally {
    await p.close();
  }
});

Deno.test("a plugin connector gets a built-in step's host local paths as guest paths it can write", async () => {
  const base = join(ROOT, "sftp-root");
  await Deno.mkdir(join(base, "in"), { recursive: true });
  await Deno.writeTextFile(join(base, "in", "a.txt"), "alpha\n");
  const dest = join(ROOT, "job-artifacts", "inbox"); // not granted: the file's directory is mapped for the call
  const call = (method: string, args: JsonObject) => ({
    resource: "sftp_local",
    kind: "sftp",
    driver: "sftp-local",
    config: { base_dir: base },
    options: {},
    method,
    args,
  });
  const p = await loadDemo("demo_local_connectors", {
    files: "artifacts",
    dirs: { "/demo_inbox": { path: base, mode: "rw" } },
  });
  try {
    assert.deepEqual(await p.callConnector(call("listdir", { dir: "in" })), ["a.txt"]);
    await p.callConnector(call("get", { remote: "in/a.txt", local: join(dest, "a.txt") }));
    assert.equal(await Deno.readTextFile(join(dest, "a.txt")), "alpha\n");
    await assert.rejects(
      p.callConnector(call("get", { remote: "in/none.txt", local: join(dest, "b.txt") })),
      /Local SFTP path not found: .*sftp-root\/in\/none\.txt/,
    );
    await assert.rejects(
      p.callConnector(call("get", { remote: "in/a.txt", local: "relative/a.txt" })),
      /cannot reach the local file of argument 'local'/,
    );
  } finally {
    await p.close();
  }

  // Without file access, only paths inside a granted directory reach the plugin.
  const narrow = await loadDemo("demo_local_connectors", {
    dirs: { "/demo_inbox": { path: base, mode: "rw" } },
  });
  try {
    await narrow.callConnector(call("get", { remote: "in/a.txt", local: join(base, "copy.txt") }));
    assert.equal(await Deno.readTextFile(join(base, "copy.txt")), "alpha\n");
    await assert.rejects(
      narrow.callConnector(call("get", { remote: "in/a.txt", local: join(dest, "c.txt") })),
      /cannot reach the local file of argument 'local': it needs file access \(grants\.files: artifacts\)/,
    );
    await assert.rejects(Deno.stat(join(dest, "c.txt")), Deno.errors.NotFound);
  } finally {
    await narrow.close();
  }
});
