// The demo plugins' committed `.wasm` files are what their AssemblyScript sources build to (examples/README.md
// "Plugins"): the sources in examples/plugins are compiled exactly as `deno task plugins:build` does, but into a
// temp dir, and each build's sha256 must equal every committed copy under examples/*/*/plugins and every pin
// of it in the demos' manifests. Nothing in the repository is written. Fetches AssemblyScript into Deno's cache
// once per machine (like tests/plugin_new_e2e_test.ts); the build is deterministic.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { parse } from "yaml";
import { buildAssemblyScript, ROOT } from "../plugins/examples/build.ts";
import { DEMO_MANIFESTS, DEMO_PLUGINS } from "../examples/plugins/build.ts";
import { tempDir } from "./_helpers.ts";

const EXAMPLES = join(ROOT, "examples");

async function _sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every file under examples/ whose name ends with `suffix`, relative to examples/, sorted. */
async function _files(suffix: string, dir = EXAMPLES): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const full = join(dir, e.name);
    if (e.isDirectory) out.push(...await _files(suffix, full));
    else if (e.isFile && e.name.endsWith(suffix)) out.push(relative(EXAMPLES, full));
  }
  return out.sort();
}

/** The `.wasm` pins of every YAML file under examples/ that has a `plugins:` list (bundle manifests). */
async function _pins(): Promise<{ manifest: string; path: string; sha256: string }[]> {
  const pins = [];
  for (const rel of await _files(".yaml")) {
    const text = await Deno.readTextFile(join(EXAMPLES, rel));
    if (!/^plugins:/m.test(text)) continue;
    const doc = parse(text);
    const plugins = doc !== null && typeof doc === "object" && Array.isArray(doc.plugins) ? doc.plugins : [];
    for (const p of plugins) {
      if (typeof p?.path === "string" && p.path.endsWith(".wasm")) {
        pins.push({ manifest: rel, path: p.path, sha256: String(p.sha256) });
      }
    }
  }
  return pins;
}

const REBUILD = "rebuild with `deno task plugins:build` and commit the .wasm files and manifests";

Deno.test("the committed demo plugins are their AssemblyScript sources built, and the manifests pin them", async () => {
  // What the repository holds now: committed copies and pins (compared again after the build: nothing written).
  const wasmFiles = await _files(".wasm");
  const committed = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const rel of wasmFiles) committed.set(rel, await Deno.readFile(join(EXAMPLES, rel)));
  const pins = await _pins();
  const manifestsBefore = new Map<string, string>();
  for (const rel of DEMO_MANIFESTS) manifestsBefore.set(rel, await Deno.readTextFile(join(EXAMPLES, rel)));

  // Every committed .wasm is a built demo plugin shipped where the build puts it, and the other way round.
  const shipped = Object.entries(DEMO_PLUGINS).flatMap(([name, bundles]) =>
    bundles.map((b) => `${b}/plugins/${name}.wasm`)
  );
  assert.deepEqual(
    wasmFiles,
    [...shipped].sort(),
    "the .wasm files under examples/ and build.ts DEMO_PLUGINS",
  );
  // The build re-pins exactly the manifests that pin a plugin.
  assert.deepEqual(
    [...new Set(pins.map((p) => p.manifest))].sort(),
    [...DEMO_MANIFESTS].sort(),
    "manifests with .wasm pins and build.ts DEMO_MANIFESTS",
  );

  await using out = await tempDir("af-demo-plugins-check-");
  const names = Object.keys(DEMO_PLUGINS);
  await buildAssemblyScript(names.map((name) => ({
    entry: `examples/plugins/${name}/index.as`,
    outFile: join(out.path, `${name}.wasm`),
  })));
  const built = new Map<string, string>();
  for (const name of names) {
    built.set(name, await _sha256(await Deno.readFile(join(out.path, `${name}.wasm`))));
  }

  for (const rel of wasmFiles) {
    const name = rel.slice(rel.lastIndexOf("/") + 1, -".wasm".length);
    assert.equal(await _sha256(committed.get(rel)!), built.get(name), `examples/${rel} is stale: ${REBUILD}`);
  }
  for (const pin of pins) {
    const file = join(dirname(pin.manifest), pin.path);
    const name = pin.path.slice(pin.path.lastIndexOf("/") + 1, -".wasm".length);
    assert.ok(committed.has(file), `examples/${pin.manifest} pins ${pin.path}, which is not committed`);
    assert.equal(pin.sha256, built.get(name), `examples/${pin.manifest} pin of ${pin.path}: ${REBUILD}`);
  }
  assert.ok(pins.length >= names.length, `${pins.length} pins`);

  // The check built into a temp dir only.
  assert.deepEqual(await _files(".wasm"), wasmFiles);
  for (const [rel, bytes] of committed) {
    assert.deepEqual(await Deno.readFile(join(EXAMPLES, rel)), bytes, rel);
  }
  for (const [rel, text] of manifestsBefore) {
    assert.equal(await Deno.readTextFile(join(EXAMPLES, rel)), text, rel);
  }
});
