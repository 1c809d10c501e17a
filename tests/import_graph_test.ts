// The static import graph: `--help` and `validate` must not load a heavy npm package, and built-in steps and
// connector drivers import their npm drivers lazily (`await import("pkg")` with a literal specifier, which
// `deno compile` and `deno bundle` still include). See docs/architecture.md "Lazy heavy dependencies".
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
  "@duckdb/node-api",
  "oracledb",
  "@extism/extism",
  "wabt",
  "knex",
  "kysely",
];

/** npm packages engine/steps and engine/connectors may import statically (small, needed to validate). */
const LIGHT_FOR_BUILTINS = ["zod"];

interface _Dep {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface _Module {
  specifier: string;
  kind?: string;
  npmPackage?: string;
  dependencies?: _Dep[];
}

let _graph: Map<string, _Module> | undefined;

async function _moduleGraph(): Promise<Map<string, _Module>> {
  if (_graph) return _graph;
  const roots = ["cli/main.ts"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...roots],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: _Module[] };
  _graph = new Map(info.modules.map((m) => [m.specifier, m]));
  return _graph;
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
