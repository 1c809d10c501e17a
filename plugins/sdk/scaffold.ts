/**
 * `aetherflow plugin new <name>`: a self-contained AssemblyScript step plugin — a copy of the SDK, a deno.json
 * with `build` and `test` tasks, a lockfile, and a Deno test that calls the built module through Extism
 * (docs/plugins.md "From nothing to a running step").
 *
 * The only build dependency is `assemblyscript` (which brings `binaryen` and `long`): the SDK declares the
 * Extism host functions itself, so no PDK package is needed. Deno fetches the packages from the npm registry
 * into its own cache, checked against the lockfile (`--frozen`): no npm, no node_modules folder, and a rebuild
 * never installs anything again. The SDK sources come from `_sources.gen.ts` (strings), so this also works in a
 * compiled binary.
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../../engine/errors.ts";
import { SCAFFOLD_LOCK, SDK_SOURCES } from "./_sources.gen.ts";

const _NAME_REGEXP = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** The versions the lockfile pins (plugins/sdk/scaffold.lock.json). */
export const ASSEMBLYSCRIPT = "npm:assemblyscript@0.28.20";
export const EXTISM = "npm:@extism/extism@1.0.3";

export interface ScaffoldOptions {
  /** Plugin name (also the step type prefix: `<name>.hello`). */
  name: string;
  /** Target folder; must not exist or be empty. */
  dir: string;
}

/**
 * Write the scaffold; returns the files created.
 * @throws {UsageError} on a bad name or a non-empty target folder.
 */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<string[]> {
  const { name, dir } = options;
  if (!_NAME_REGEXP.test(name)) {
    throw new UsageError(`Invalid plugin name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-'`);
  }
  if (await _nonEmpty(dir)) throw new UsageError(`Target folder is not empty: ${dir}`);
  const files: Record<string, string> = {
    "assembly/index.ts": _indexTs(name),
    "deno.json": _denoJson(name),
    "deno.lock": SCAFFOLD_LOCK,
    "plugin_test.ts": _testTs(name),
    "README.md": _readme(name),
    ".gitignore": "build/\n",
  };
  for (const [file, text] of Object.entries(SDK_SOURCES)) files[`assembly/aetherflow/${file}`] = text;
  const written: string[] = [];
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, text);
    written.push(path);
  }
  return written;
}

async function _nonEmpty(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return true;
  } catch {
    return false;
  }
  return false;
}

function _indexTs(name: string): string {
  return `// ${name}: an aetherflow step plugin (ABI v1). Step type \`${name}.hello\` greets inputs.who.
import { fail, log, output, quote, stepCall, succeed } from "./aetherflow/aetherflow";
export { aetherflowAbort } from "./aetherflow/aetherflow";

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"${name}","version":"0.1.0","steps":[{"type":"${name}.hello",' +
      '"inputs":{"who":"string","shout":"boolean","times":"integer"}}]}',
  );
  return 0;
}

export function aetherflow_step(): i32 {
  const call = stepCall();
  const who = call.inputs.getString("who");
  if (who.length == 0) return fail("inputs.who is required");
  const times = call.inputs.getInt("times", 1);
  if (times < 1 || times > 10) return fail("inputs.times must be 1..10");
  let greeting = "Hello, " + who + "!";
  if (call.inputs.getBool("shout")) greeting = greeting.toUpperCase();
  log("info", "greeting " + who);
  let all = greeting;
  for (let i: i64 = 1; i < times; i++) all += " " + greeting;
  return succeed('{"greeting":' + quote(all) + "}");
}
`;
}

function _denoJson(name: string): string {
  const build = `deno run --frozen --allow-read --allow-write --allow-env ${ASSEMBLYSCRIPT}/asc ` +
    `assembly/index.ts --outFile build/${name}.wasm --use abort=assembly/aetherflow/aetherflow/aetherflowAbort ` +
    "--optimize";
  return JSON.stringify(
    {
      tasks: { build, test: "deno test --frozen --allow-read --allow-env plugin_test.ts" },
      imports: { "assemblyscript": ASSEMBLYSCRIPT, "@extism/extism": EXTISM },
      nodeModulesDir: "none",
      // AssemblyScript is not TypeScript: keep Deno's check, lint and fmt out of it.
      exclude: ["assembly/", "build/"],
    },
    null,
    2,
  ) + "\n";
}

function _testTs(name: string): string {
  return `// Calls the built plugin through Extism with stand-ins for the aetherflow host functions.
import assert from "node:assert/strict";
import createPlugin, { type CallContext } from "@extism/extism";

async function load(logs: string[]) {
  const data = await Deno.readFile(new URL("./build/${name}.wasm", import.meta.url));
  return await createPlugin({ wasm: [{ data }] }, {
    functions: {
      "extism:host/user": {
        af_log: (ctx: CallContext, off: bigint) => {
          logs.push(JSON.parse(ctx.read(off)!.text()).message);
          return ctx.store("{}");
        },
        af_connector_call: (ctx: CallContext) => ctx.store('{"error":"no connectors in this test"}'),
      },
    },
  });
}

Deno.test("${name} describes itself and greets", async () => {
  const logs: string[] = [];
  const plugin = await load(logs);
  try {
    const d = (await plugin.call("aetherflow_describe"))!.json();
    assert.equal(d.abi, 1);
    assert.equal(d.steps[0].type, "${name}.hello");
    const call = { type: "${name}.hello", flow_id: "f", job_id: "j", run_id: "r", step_id: "s", inputs: { who: "Zoë" } };
    const step = async (inputs: Record<string, unknown>) =>
      (await plugin.call("aetherflow_step", JSON.stringify({ ...call, inputs })))!.json();
    assert.deepEqual(await step({ who: "Zoë" }), { status: "SUCCESS", outputs: { greeting: "Hello, Zoë!" } });
    assert.deepEqual(await step({ who: "Zoë", shout: true, times: 2 }), {
      status: "SUCCESS",
      outputs: { greeting: "HELLO, ZOË! HELLO, ZOË!" },
    });
    assert.deepEqual(logs, ["greeting Zoë", "greeting Zoë"]);
    await assert.rejects(step({}), /inputs.who is required/);
  } finally {
    await plugin.close();
  }
});
`;
}

function _readme(name: string): string {
  return `# ${name}

An aetherflow step plugin in AssemblyScript (plugin ABI v1; see the aetherflow docs, plugins.md).

    deno task build     # asc -> build/${name}.wasm (packages from deno.lock, fetched once into Deno's cache)
    deno task test      # runs plugin_test.ts against the built module
    aetherflow plugin pin build/${name}.wasm --lock ../flows/aetherflow.plugins.yaml

\`plugin pin\` copies the module next to the lock (\`plugins/${name}.wasm\`) and pins that copy, so rebuilding
here never breaks a flow; pin again to ship a new build. Then use the step in a flow:
\`{id: greet, type: ${name}.hello, inputs: {who: world, shout: true}}\`.

\`assembly/aetherflow/\` is a copy of the aetherflow SDK; \`assembly/index.ts\` is your plugin. The build needs
only Deno (no npm): \`assemblyscript\` is the one dependency, pinned in \`deno.lock\`.
`;
}
