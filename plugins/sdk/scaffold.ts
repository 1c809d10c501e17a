/**
 * `aetherflow plugin new <name>`: a self-contained AssemblyScript step plugin (a copy of the SDK, a build task,
 * a Deno test that calls the built module through Extism). AssemblyScript stays outside the engine's
 * dependencies: the scaffold installs it with npm into its own folder.
 * @module
 */
import { join } from "node:path";
import { UsageError } from "../../engine/errors.ts";

const _NAME_REGEXP = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const _SDK_FILES = ["aetherflow.ts", "json.ts"] as const;

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
    "package.json": _packageJson(name),
    "plugin_test.ts": _testTs(name),
    "README.md": _readme(name),
    ".gitignore": "node_modules/\nbuild/\n",
  };
  for (const f of _SDK_FILES) {
    // Kept as `.as` in this repository so Deno's check/lint/fmt never read AssemblyScript (not TypeScript).
    const source = await Deno.readTextFile(
      new URL(`./assembly/${f.replace(/\.ts$/, ".as")}`, import.meta.url),
    );
    files[`assembly/aetherflow/${f}`] = source;
  }
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
  output('{"abi":1,"name":"${name}","version":"0.1.0","steps":[{"type":"${name}.hello","inputs":{"who":"string"}}]}');
  return 0;
}

export function aetherflow_step(): i32 {
  const call = stepCall();
  const who = call.inputs.getString("who");
  if (who.length == 0) return fail("inputs.who is required");
  log("info", "greeting " + who);
  return succeed('{"greeting":' + quote("Hello, " + who + "!") + "}");
}
`;
}

function _denoJson(name: string): string {
  const build = `npm install --silent && npx asc assembly/index.ts --outFile build/${name}.wasm ` +
    `--use abort=assembly/aetherflow/aetherflow/aetherflowAbort --optimize`;
  return JSON.stringify(
    {
      tasks: { build, test: "deno test --allow-read --allow-env plugin_test.ts" },
      imports: { "@extism/extism": "npm:@extism/extism@1.0.3" },
      nodeModulesDir: "auto",
      exclude: ["assembly/", "node_modules/"],
    },
    null,
    2,
  ) + "\n";
}

function _packageJson(name: string): string {
  return JSON.stringify(
    {
      name,
      version: "0.1.0",
      private: true,
      devDependencies: { "assemblyscript": "0.28.20", "@extism/as-pdk": "1.0.0" },
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
    const out = (await plugin.call("aetherflow_step", JSON.stringify(call)))!.json();
    assert.deepEqual(out, { status: "SUCCESS", outputs: { greeting: "Hello, Zoë!" } });
    assert.deepEqual(logs, ["greeting Zoë"]);
    await assert.rejects(plugin.call("aetherflow_step", JSON.stringify({ ...call, inputs: {} })), /inputs.who is required/);
  } finally {
    await plugin.close();
  }
});
`;
}

function _readme(name: string): string {
  return `# ${name}

An aetherflow step plugin in AssemblyScript (plugin ABI v1, see the aetherflow docs: plugins.md).

    deno task build     # npm install + asc -> build/${name}.wasm
    deno task test      # runs plugin_test.ts against the built module
    aetherflow plugin pin build/${name}.wasm --lock /path/to/flows/aetherflow.plugins.yaml

Then use it in a flow: \`{id: greet, type: ${name}.hello, inputs: {who: world}}\`.
\`assembly/aetherflow/\` is a copy of the aetherflow SDK; \`assembly/index.ts\` is your plugin.
`;
}
