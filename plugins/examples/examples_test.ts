// The example plugins, built from AssemblyScript by plugins/examples/build.ts into testdata/plugins/examples/
// (committed with their sources), run through the real host: a step, a connector over loopback HTTP, a secrets
// provider.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadWasmPlugin, pluginConnectorDefinition, pluginStepDefinition, sha256Hex } from "../host/mod.ts";
import type { GrantsInput } from "../abi/mod.ts";
import { pluginSecretsProvider } from "../secrets/mod.ts";
import { testStepContext } from "../_testing.ts";

async function loadExample(name: string, grants: GrantsInput = {}) {
  const path = fileURLToPath(new URL(`../../testdata/plugins/examples/${name}.wasm`, import.meta.url));
  return await loadWasmPlugin({ path, sha256: await sha256Hex(await Deno.readFile(path)), grants });
}

Deno.test("examples.csv_select keeps the named columns", async () => {
  const p = await loadExample("csv_select");
  try {
    const def = pluginStepDefinition(p, p.descriptor.steps[0]!);
    const { ctx } = testStepContext({ artifactsDir: "/tmp" });
    const result = await def.run(
      { csv: "id,name,city\n1,Zoë,Köln\n2,Bo,Oslo\n", columns: ["name", "id"] },
      ctx,
    );
    assert.deepEqual(result.outputs, { csv: "name,id\nZoë,1\nBo,2\n", rows: 2 });
    await assert.rejects(Promise.resolve(def.run({ csv: "a\n1\n", columns: ["b"] }, ctx)), {
      message: "Plugin examples-csv@1.0.0 failed: unknown column b",
    });
  } finally {
    await p.close();
  }
});

Deno.test("examples_http connector GETs a granted loopback host only", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    return new Response(`{"path":"${new URL(req.url).pathname}"}`);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const granted = await loadExample("rest_get", { hosts: ["127.0.0.1"] });
  const ungranted = await loadExample("rest_get", { hosts: ["api.example"] });
  try {
    const resource = {
      name: "api",
      kind: "rest",
      driver: "examples_http",
      config: { base_url: base },
      options: {},
      decode: {},
    };
    const c = await pluginConnectorDefinition(granted, granted.descriptor.connectors[0]!).create(resource);
    assert.deepEqual(await c.call!("get", { path: "/items" }), { status: 200, body: '{"path":"/items"}' });
    const d = await pluginConnectorDefinition(ungranted, ungranted.descriptor.connectors[0]!).create(
      resource,
    );
    await assert.rejects(d.call!("get", { path: "/items" }), { code: "plugin:http_denied" });
  } finally {
    await Promise.all([granted.close(), ungranted.close()]);
    await server.shutdown();
  }
});

Deno.test("examples-b64-secrets decodes values and expands *_B64 variables (non-ASCII safe)", async () => {
  const p = await loadExample("b64_secrets");
  try {
    const provider = pluginSecretsProvider(p);
    const encoded = btoa(String.fromCharCode(...new TextEncoder().encode("pässwörd")));
    assert.equal(await provider.decode(`base64:${encoded}`), "pässwörd");
    assert.equal(await provider.decode("plain"), "plain");
    assert.deepEqual(await provider.expandEnv!({ A: "1", TOKEN_B64: encoded }), {
      A: "1",
      TOKEN_B64: encoded,
      TOKEN: "pässwörd",
    });
  } finally {
    await p.close();
  }
});
