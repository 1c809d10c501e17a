// The HTTP grant as the host enforces it (docs/plugin-security.md "HTTP grants"): hostile patterns are refused
// where they are written, and every request a plugin makes is checked by the host itself — scheme, host and
// port after URL parsing, no redirects, a capped body — with real WAT plugins and real loopback servers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { testStepContext } from "../_testing.ts";
import type { GrantsInput } from "../abi/mod.ts";
import { compileWat, testPluginSource, writeTestPlugin } from "../../testdata/plugins/build.ts";
import { readPluginLock } from "../lock/plugin_lock.ts";
import { grantedFetch } from "./_http.ts";
import { pluginStepDefinition } from "./plugin_step.ts";
import { loadWasmPlugin, type WasmPlugin } from "./wasm_plugin.ts";
import { sha256Hex } from "./wasm_bytes.ts";

const ROOT = await Deno.makeTempDir({ prefix: "af-http-grant-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));
const HTTP = await writeTestPlugin("t_http", ROOT);
const ECHO = await writeTestPlugin("t_echo", ROOT);

/** t_http with its descriptor asking for `hosts` instead of 127.0.0.1 and localhost. */
async function httpPluginAsking(hosts: string[]): Promise<{ path: string; sha256: string }> {
  const asked = JSON.stringify(hosts).replaceAll('"', '\\"');
  const src = (await testPluginSource("t_http")).replace('[\\"127.0.0.1\\",\\"localhost\\"]', asked);
  assert.ok(src.includes(asked), "the descriptor was rewritten");
  const bytes = await compileWat("t_http_asking", src);
  const path = join(ROOT, `t_http_${crypto.randomUUID()}.wasm`);
  await Deno.writeFile(path, bytes);
  return { path, sha256: await sha256Hex(bytes) };
}

async function loadHttp(grants: GrantsInput): Promise<WasmPlugin> {
  return await loadWasmPlugin({ path: HTTP.path, sha256: HTTP.sha256, grants });
}

async function get(plugin: WasmPlugin, url: string) {
  const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
  const { ctx } = testStepContext({ artifactsDir });
  return await pluginStepDefinition(plugin, plugin.descriptor.steps[0]!).run({ url }, ctx);
}

/** A loopback server counting its hits; `respond` builds each response. */
function serve(respond: (req: Request) => Response) {
  const state = { hits: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    state.hits++;
    return respond(req);
  });
  return { state, port: server.addr.port, close: () => server.shutdown() };
}

async function assertBystanderWorks(): Promise<void> {
  const echo = await loadWasmPlugin({ path: ECHO.path, sha256: ECHO.sha256 });
  try {
    const { ctx } = testStepContext({ artifactsDir: ROOT });
    const result = await pluginStepDefinition(echo, echo.descriptor.steps[0]!).run({ still: "alive" }, ctx);
    assert.deepEqual(result.outputs, { still: "alive" });
  } finally {
    await echo.close();
  }
}

Deno.test("a plugin asking for a negated or glob host pattern is refused at load time", async () => {
  for (const asked of ["!x.example.com", "**", "{127.0.0.1,x}", "127.0.0.[0-9]", "*.*"]) {
    const p = await httpPluginAsking([asked]);
    await assert.rejects(
      loadWasmPlugin({ path: p.path, sha256: p.sha256, grants: { hosts: ["*.example.com", "127.0.0.1"] } }),
      (err: Error & { code?: string; exitCode?: number }) => {
        assert.equal(err.code, "plugin:descriptor", err.message);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /host pattern/);
        return true;
      },
    );
  }
  await assertBystanderWorks();
});

Deno.test("a grant outside the host pattern grammar is refused when the lock is read", async () => {
  const lock = join(ROOT, "aetherflow.plugins.yaml");
  await Deno.writeTextFile(
    lock,
    `version: 1\nplugins:\n  - path: t_http.wasm\n    sha256: ${HTTP.sha256}\n    grants:\n      hosts: ["api.example.com", "!x.example.com"]\n`,
  );
  await assert.rejects(readPluginLock(lock), (err: Error & { code?: string; exitCode?: number }) => {
    assert.equal(err.code, "plugin:lock");
    assert.equal(err.exitCode, 2);
    assert.match(
      err.message,
      /aetherflow\.plugins\.yaml:6:\d+: plugins\.0\.grants\.hosts\.1: .*host pattern/,
    );
    return true;
  });
});

Deno.test("the host checks the port of every request, not only the host name", async () => {
  const granted = serve(() => new Response('"granted"'));
  const other = serve(() => new Response('"other"'));
  const p = await loadHttp({ hosts: [`127.0.0.1:${granted.port}`] });
  try {
    assert.deepEqual(p.grants.hosts, [`127.0.0.1:${granted.port}`]);
    assert.deepEqual((await get(p, `http://127.0.0.1:${granted.port}/`)).outputs, { body: "granted" });
    await assert.rejects(get(p, `http://127.0.0.1:${other.port}/`), {
      code: "plugin:http_denied",
      message: new RegExp(`127\\.0\\.0\\.1:${other.port}.*not granted \\(grants\\.hosts\\)`),
    });
    assert.equal(other.state.hits, 0);
    // The instance was replaced after the refusal; the plugin and its neighbours carry on.
    assert.deepEqual((await get(p, `http://127.0.0.1:${granted.port}/`)).outputs, { body: "granted" });
    await assertBystanderWorks();
  } finally {
    await p.close();
    await granted.close();
    await other.close();
  }
});

Deno.test("a redirect from a granted host is returned to the plugin, never followed", async () => {
  const target = serve(() => new Response('"reached"'));
  const granted = serve(() =>
    new Response('"moved"', { status: 302, headers: { location: `http://127.0.0.1:${target.port}/` } })
  );
  const p = await loadHttp({ hosts: [`127.0.0.1:${granted.port}`] });
  try {
    assert.deepEqual((await get(p, `http://127.0.0.1:${granted.port}/`)).outputs, { body: "moved" });
    assert.equal(target.state.hits, 0);
  } finally {
    await p.close();
    await granted.close();
    await target.close();
  }
});

Deno.test("a response body above max_output_bytes fails the call naming the limit", async () => {
  const big = `"${"x".repeat(200_000)}"`;
  const server = serve((req) =>
    new URL(req.url).pathname === "/chunked"
      ? new Response(new Blob([big]).stream()) // no content-length: counted while read
      : new Response(big)
  );
  const p = await loadHttp({ hosts: ["127.0.0.1"], max_output_bytes: 65536 });
  try {
    for (const path of ["/chunked", "/sized"]) {
      await assert.rejects(get(p, `http://127.0.0.1:${server.port}${path}`), {
        code: "plugin:output_cap",
        message: /HTTP response body .* exceeds its cap of 65536 bytes \(max_output_bytes\)/,
      });
    }
    await assertBystanderWorks();
  } finally {
    await p.close();
    await server.close();
  }
});

Deno.test("grantedFetch() refuses other schemes, hosts and ports after URL parsing", async () => {
  const server = serve(() => new Response("ok"));
  const f = grantedFetch({ hosts: [`127.0.0.1:${server.port}`], maxBodyBytes: 1024, label: () => "p@1" });
  try {
    const REFUSED = [
      "file:///etc/passwd",
      "file://127.0.0.1/etc/passwd",
      `ftp://127.0.0.1:${server.port}/`,
      `data:text/plain,hi`,
      `http://127.0.0.1:${server.port + 1 === 65536 ? 1 : server.port + 1}/`,
      `http://127.0.0.1/`,
      `http://localhost:${server.port}/`,
      `http://evil.example@127.0.0.2:${server.port}/`,
      "not a url",
    ];
    for (const url of REFUSED) {
      await assert.rejects(f(url), { code: "plugin:http_denied" }, url);
    }
    assert.equal(server.state.hits, 0);
    // Other spellings of the granted host reach it: the check runs on the parsed URL.
    const SAME_HOST = [
      `http://127.1:${server.port}/`,
      `http://127.0.0.1.:${server.port}/`,
      `http://user:pw@127.0.0.1:${server.port}/x`,
    ];
    for (const url of SAME_HOST) {
      assert.equal(await (await f(url)).text(), "ok", url);
    }
  } finally {
    await server.close();
  }
});
