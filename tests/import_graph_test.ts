// The import graph of the program (everything cli/main.ts and mod.ts reach): layering (docs/architecture.md
// "Layering"), and lazy heavy dependencies: `--help` and `validate` must not load a heavy npm package, and built-in
// steps and connector drivers import their npm drivers lazily (`await import("pkg")` with a literal specifier,
// which `deno compile` and `deno bundle` still include). See docs/architecture.md "Lazy heavy dependencies".
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";

const ROOT = fromFileUrl(new URL("..", import.meta.url));

/** npm packages too heavy to load for `--help`/`validate`; add each new driver package here. */
const HEAVY = [
  "postgres",
  "pg",
  "mysql2",
  "ssh2",
  "ssh2-sftp-client",
  "nodemailer",
  "smtp-server",
  "@zip.js/zip.js",
  "exceljs",
  "hyparquet",
  "hyparquet-writer",
  "hyparquet-compressors",
  "@duckdb/node-api",
  "oracledb",
  "@exasol/exasol-driver-ts",
  "@extism/extism",
  "wabt",
  "knex",
  "kysely",
];

/** npm packages engine/steps and engine/connectors may import statically (small, needed to validate). */
const LIGHT_FOR_BUILTINS = ["zod"];

interface _Dep {
  code?: { specifier: string };
  type?: { specifier: string };
  isDynamic?: boolean;
}
interface _Module {
  specifier: string;
  kind?: string;
  npmPackage?: string;
  dependencies?: _Dep[];
}

let _graph: Map<string, _Module> | undefined;

/** The module graph of the CLI and of the embedding API (`deno info` takes one root at a time). */
async function _moduleGraph(): Promise<Map<string, _Module>> {
  if (_graph) return _graph;
  const graph = new Map<string, _Module>();
  for (const root of ["cli/main.ts", "mod.ts"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: _Module[] };
    for (const m of info.modules) graph.set(m.specifier, m);
  }
  _graph = graph;
  return graph;
}

/** Every local import edge [from, to, kind] between repository files (relative paths). */
function _localEdges(graph: Map<string, _Module>): [string, string, "static" | "dynamic" | "type"][] {
  const out: [string, string, "static" | "dynamic" | "type"][] = [];
  const local = (spec: string | undefined) =>
    spec?.startsWith("file://") && !spec.includes("/node_modules/") ? _rel(spec) : undefined;
  for (const [spec, mod] of graph) {
    const from = local(spec);
    if (from === undefined) continue;
    for (const dep of mod.dependencies ?? []) {
      const code = local(dep.code?.specifier);
      if (code !== undefined) out.push([from, code, dep.isDynamic ? "dynamic" : "static"]);
      const type = local(dep.type?.specifier);
      if (type !== undefined && type !== code) out.push([from, type, "type"]);
    }
  }
  return out;
}

/** The folder a private file or folder (`_name`) belongs to: the directory holding its first `_` segment. */
function _privateOwner(path: string): string | undefined {
  const parts = path.split("/");
  const at = parts.findIndex((p) => p.startsWith("_"));
  return at === -1 ? undefined : parts.slice(0, at).join("/");
}

/** `npm:/@scope/name@1.2.3/sub` or `npm:name@1` -> the package name. */
function _npmName(specifier: string): string | undefined {
  if (!specifier.startsWith("npm:")) return undefined;
  const rest = specifier.slice(4).replace(/^\//, "");
  const at = rest.startsWith("@") ? rest.indexOf("@", 1) : rest.indexOf("@");
  return at === -1 ? rest.split("/")[0] : rest.slice(0, at);
}

/** Every module reached from `roots` through static runtime imports; npm packages by name -> first importer. */
function _staticClosure(graph: Map<string, _Module>, roots: readonly string[]) {
  const seen = new Set<string>();
  const npm = new Map<string, string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const spec = todo.pop()!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const dep of graph.get(spec)?.dependencies ?? []) {
      if (!dep.code || dep.isDynamic) continue;
      const target = dep.code.specifier;
      const name = _npmName(target);
      if (name !== undefined) {
        if (!npm.has(name)) npm.set(name, spec);
        continue;
      }
      todo.push(target);
    }
  }
  return { modules: seen, npm };
}

function _rel(spec: string): string {
  return spec.startsWith("file://") ? relative(ROOT, fromFileUrl(spec)) : spec;
}

Deno.test("--help and validate load no heavy npm package statically", async () => {
  const graph = await _moduleGraph();
  const main = new URL("cli/main.ts", pathToFileURL(ROOT)).href;
  // `--help` loads every command module; `validate` loads cli/validate.ts (both imported dynamically by main.ts).
  const commands = (graph.get(main)?.dependencies ?? []).filter((d) => d.isDynamic && d.code).map((d) =>
    d.code!.specifier
  );
  assert.ok(commands.some((c) => c.endsWith("/cli/validate.ts")), "main.ts imports its commands lazily");
  const { npm } = _staticClosure(graph, [main, ...commands]);
  const heavy = HEAVY.filter((p) => npm.has(p)).map((p) => `${p} (imported by ${_rel(npm.get(p)!)})`);
  assert.deepEqual(heavy, []);
  // The walk does see packages: the ones the CLI does need eagerly.
  assert.ok(npm.has("zod") && npm.has("yaml"), [...npm.keys()].join(","));
});

Deno.test("built-in steps and connectors import no npm package statically except zod", async () => {
  const graph = await _moduleGraph();
  const offenders: string[] = [];
  let checked = 0;
  for (const dir of ["engine/steps", "engine/connectors"]) {
    const prefix = new URL(`${dir}/`, pathToFileURL(ROOT)).href;
    for (const [spec, mod] of graph) {
      if (!spec.startsWith(prefix) || spec.endsWith("_test.ts")) continue;
      checked++;
      for (const dep of mod.dependencies ?? []) {
        const name = dep.code && !dep.isDynamic ? _npmName(dep.code.specifier) : undefined;
        if (name !== undefined && !LIGHT_FOR_BUILTINS.includes(name)) {
          offenders.push(`${_rel(spec)} -> ${name}`);
        }
      }
    }
  }
  assert.deepEqual(offenders, []);
  assert.ok(checked >= 10, `only ${checked} files under engine/steps and engine/connectors were seen`);
});

Deno.test("the graph walk tells a lazy import from a static one", async () => {
  const graph = await _moduleGraph();
  // @extism/extism is in the graph (plugins/host loads it) but only behind dynamic imports from the CLI.
  const all = [...graph.values()].some((m) => m.npmPackage?.startsWith("@extism/extism@"));
  assert.ok(all, "the plugin runtime is part of the program");
  const host = new URL("plugins/host/wasm_plugin.ts", pathToFileURL(ROOT)).href;
  assert.ok(_staticClosure(graph, [host]).npm.has("@extism/extism"));
});

Deno.test("layering: engine imports neither cli/ nor compose/; plugins neither cli/ nor compose/; compose not cli/", async () => {
  const edges = _localEdges(await _moduleGraph());
  const UP: [string, string[]][] = [
    ["engine/", ["cli/", "compose/", "mod.ts"]],
    ["plugins/", ["cli/", "compose/", "mod.ts"]],
    ["compose/", ["cli/", "mod.ts"]],
  ];
  const bad = edges.filter(([from, to]) =>
    UP.some(([layer, above]) => from.startsWith(layer) && above.some((a) => to.startsWith(a)))
  );
  assert.deepEqual(bad, []);
  assert.ok(
    edges.some(([from, to]) => from.startsWith("cli/") && to.startsWith("compose/")),
    "the walk sees cli -> compose",
  );
});

Deno.test("layering: no file imports another folder's private (_name) file", async () => {
  const edges = _localEdges(await _moduleGraph());
  const bad = edges.filter(([from, to]) => {
    const owner = _privateOwner(to);
    return owner !== undefined && !from.startsWith(owner === "" ? "" : `${owner}/`);
  });
  assert.deepEqual(bad, []);
  assert.ok(edges.some(([, to]) => _privateOwner(to) !== undefined), "the walk sees private files");
});

Deno.test("layering: no import cycle between files (static runtime imports)", async () => {
  const edges = _localEdges(await _moduleGraph()).filter(([, , kind]) => kind === "static");
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of next.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});
