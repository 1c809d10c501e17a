// af_connector_call on a built-in typed connector without a generic call (docs/plugin-abi.md "af_connector_call"):
// the WAT plugin t_callfiles drives sftp:paramiko against the harness's OpenSSH server.
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPlugins, testStepContext } from "../plugins/_testing.ts";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import type { JsonObject } from "../engine/types.ts";
import { pluginStepDefinition } from "../plugins/host/plugin_step.ts";
import { loadWasmPlugin } from "../plugins/host/wasm_plugin.ts";
import { sftpDir, sftpService, writeServedFile } from "./_services.ts";

const ROOT = await Deno.makeTempDir({ prefix: "af-typedcall-" });
const BUILT = await buildPlugins(ROOT, ["t_callfiles"]);
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));
const sftp = sftpService();

Deno.test({
  name:
    "af_connector_call reaches a built-in typed connector (sftp:paramiko): list, download/upload via guest paths, bytes",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("password");
  await writeServedFile(dir, "in/a.txt", "alpha\n");
  const connectors = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      files: {
        kind: "sftp",
        driver: "paramiko",
        config: {
          host: info.host,
          port: info.port,
          user: info.passwordUser.user,
          password: info.passwordUser.password,
          host_key_fingerprint: info.hostKeyFingerprint,
        },
        options: { timeout: 20 },
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const b = BUILT.t_callfiles;
  const p = await loadWasmPlugin({
    path: b.path,
    sha256: b.sha256,
    grants: { resources: ["files"], files: "artifacts" },
  });
  const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
  const { ctx } = testStepContext({ artifactsDir, connectors });
  const def = pluginStepDefinition(p, p.descriptor.steps[0]!);
  const call = async (method: string, args: JsonObject) =>
    (await def.run({ resource: "files", method, args }, ctx)).outputs?.response as JsonObject;
  try {
    const listed = await call("list", { path: `${dir.remote}/in` });
    assert.deepEqual(
      (listed.result as JsonObject[]).map((e) => [e.name, e.path, e.is_dir, e.size]),
      [["a.txt", `${dir.remote}/in/a.txt`, false, 6]],
    );
    assert.deepEqual(
      await call("download", { remote: `${dir.remote}/in/a.txt`, local: "/artifacts/a.txt" }),
      {
        result: null,
      },
    );
    assert.equal(await Deno.readTextFile(join(artifactsDir, "a.txt")), "alpha\n");
    await Deno.writeTextFile(join(artifactsDir, "up.txt"), "up\n");
    await call("upload", { local: "/artifacts/up.txt", remote: `${dir.remote}/out/up.txt` });
    assert.equal(await Deno.readTextFile(join(dir.local, "out", "up.txt")), "up\n");
    // Bytes cross as {base64} both ways.
    await call("write_bytes", { path: `${dir.remote}/b.bin`, base64: btoa("\x00\x01\xff") });
    assert.deepEqual([...await Deno.readFile(join(dir.local, "b.bin"))], [0, 1, 255]);
    assert.deepEqual(await call("read_bytes", { path: `${dir.remote}/b.bin` }), {
      result: { base64: btoa("\x00\x01\xff") },
    });
    // A host path is not a guest path: refused before the connector sees it.
    const outside = await call("download", { remote: `${dir.remote}/in/a.txt`, local: "/etc/a.txt" });
    assert.match(String(outside.error), /argument 'local' is not under a granted directory/);
    assert.deepEqual(await call("fetchall", { sql: "select 1" }), {
      error: "the connector of resource 'files' has no method fetchall",
    });
  } finally {
    await p.close();
    await connectors.closeAll();
  }
});
