// Bundle source `http` (alias `rest`) against a real HTTP index server on loopback: the bootstrap rest:httpx
// resource (bearer token from the environment) lists `GET /idx/list?bundle=&prefix=` and fetches
// `GET /idx/fetch?bundle=&path=`; binary files arrive byte for byte, a listed sha256 is verified, a change is
// picked up by the next sync, HTTP errors fail the sync without the token in any message
// (docs/bundles.md "Connector sources").
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleFixture } from "../engine/bundles/_test_kit.ts";
import { runCli } from "./_helpers.ts";

const TOKEN = "Bundle-Index-Token-31337";
const WASM = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256); // every byte value, not UTF-8

interface _Server extends AsyncDisposable {
  port: number;
  files: Map<string, Uint8Array>;
  /** Listed sha256 overrides (path -> hex), to make the index lie. */
  lie: Map<string, string>;
  seen: string[];
}

async function _sha(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function _serve(): _Server {
  const files = new Map<string, Uint8Array>();
  const lie = new Map<string, string>();
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    seen.push(`${url.pathname}?${url.searchParams}`);
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) return new Response("no", { status: 401 });
    if (url.searchParams.get("bundle") !== "remote") return new Response("unknown bundle", { status: 404 });
    if (url.pathname === "/idx/list") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const out = [];
      for (const [path, bytes] of files) {
        if (!path.startsWith(`${prefix}/`)) continue;
        out.push({
          path,
          sha256: lie.get(path) ?? await _sha(bytes),
          size: bytes.length,
          mtime: 1700000000.5,
        });
      }
      return Response.json({ files: out });
    }
    if (url.pathname === "/idx/fetch") {
      const bytes = files.get(url.searchParams.get("path") ?? "");
      return bytes
        ? new Response(bytes as Uint8Array<ArrayBuffer>)
        : new Response("missing", { status: 404 });
    }
    return new Response("not found", { status: 404 });
  });
  return {
    port: server.addr.port,
    files,
    lie,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function manifest(port: number): string {
  return `bundle:
  id: remote
  source: {type: rest, resource: index, list_path: /list, fetch_path: /fetch, base_path: uc1}
  layout: {flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}
  entry_flow: flows/main.yaml
resources:
  index:
    kind: rest
    driver: httpx
    config: {base_url: "http://127.0.0.1:${port}/idx/", bearer_token: "{{env.INDEX_TOKEN}}"}
`;
}

Deno.test("bundle source http: lists and fetches through rest:httpx, binary intact, sha256 verified, changes picked up", async () => {
  await using server = _serve();
  const enc = new TextEncoder();
  server.files.set("uc1/flows/main.yaml", enc.encode("flow: {id: main}\njobs: []\n"));
  server.files.set("uc1/profiles.yaml", enc.encode("{}\n"));
  server.files.set("uc1/plugins/x.wasm", WASM);
  server.files.set("other/flows/main.yaml", enc.encode("not this bundle's prefix\n"));
  await using fx = await bundleFixture(manifest(server.port));
  const snapshot = { INDEX_TOKEN: TOKEN };

  const r1 = await fx.sync({ snapshot });
  assert.deepEqual(r1.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  assert.deepEqual(await Deno.readFile(join(r1.active_dir, "plugins/x.wasm")), WASM);
  assert.equal(
    await Deno.readTextFile(join(r1.active_dir, "flows/main.yaml")),
    "flow: {id: main}\njobs: []\n",
  );
  assert.ok(server.seen.includes("/idx/list?bundle=remote&prefix=uc1"), server.seen.join("\n"));
  assert.ok(
    server.seen.includes("/idx/fetch?bundle=remote&path=uc1%2Fplugins%2Fx.wasm"),
    server.seen.join("\n"),
  );

  // Unchanged: nothing fetched again. Changed: only that file.
  const r2 = await fx.sync({ snapshot });
  assert.deepEqual([r2.changed, r2.fetched_files], [false, []]);
  server.files.set("uc1/profiles.yaml", enc.encode("changed: {}\n"));
  const r3 = await fx.sync({ snapshot });
  assert.deepEqual([r3.changed, r3.fetched_files], [true, ["profiles.yaml"]]);
  assert.equal(await Deno.readTextFile(join(r3.active_dir, "profiles.yaml")), "changed: {}\n");

  // An index whose sha256 does not match the bytes fails the sync; the active version stays.
  server.files.set("uc1/flows/main.yaml", enc.encode("flow: {id: tampered}\njobs: []\n"));
  server.lie.set("uc1/flows/main.yaml", "0".repeat(64));
  await assert.rejects(
    fx.sync({ snapshot }),
    /Checksum mismatch for flows\/main\.yaml: expected=0{64} got=[0-9a-f]{64}/,
  );
  assert.equal(
    await Deno.readTextFile(join(r3.active_dir, "flows/main.yaml")),
    "flow: {id: main}\njobs: []\n",
  );
});

Deno.test("bundle sync (CLI) from an http index: a wrong token fails with the HTTP status (exit 1), never the token", async () => {
  await using server = _serve();
  server.files.set("uc1/flows/main.yaml", new TextEncoder().encode("flow: {id: main}\njobs: []\n"));
  server.files.set("uc1/profiles.yaml", new TextEncoder().encode("{}\n"));
  await using fx = await bundleFixture(manifest(server.port));
  const args = ["bundle", "sync", "--bundle-manifest", fx.manifestPath, "--work-root", fx.workRoot];

  const ok = await runCli([...args, "--json"], { env: { INDEX_TOKEN: TOKEN } });
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout);
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.fetched_files, ["flows/main.yaml", "profiles.yaml"]);

  const wrongToken = "Wrong-Index-Token-4242";
  const bad = await runCli(args, { env: { INDEX_TOKEN: wrongToken } });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout + bad.stderr, /GET \/list answered HTTP 401/);
  for (const secret of [TOKEN, wrongToken]) assert.ok(!(bad.stdout + bad.stderr).includes(secret), secret);
});
