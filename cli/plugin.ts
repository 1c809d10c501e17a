// `aetherflow plugin inspect|hash|verify|pin|new` (docs/plugins.md). The Extism runtime is imported only by
// the subcommands that run a plugin, so other commands start fast.
import type { Command } from "@commander-js/extra-typings";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { EXIT, UsageError } from "../engine/errors.ts";
import { type GrantsInput, GrantsSchema } from "../plugins/abi/mod.ts";
import { sha256Hex } from "../plugins/host/wasm_bytes.ts";
import {
  findPluginLock,
  isFile,
  PLUGIN_LOCK_ENV,
  PLUGIN_LOCK_FILE,
  type PluginLock,
  readPluginLock,
  renderGrantDirs,
  resolvePins,
  upsertPin,
  writePluginLock,
} from "../plugins/lock/mod.ts";
import { suggestKey } from "../engine/suggest.ts";
import { setExitCode } from "./_exit.ts";

export function registerPlugin(program: Command): void {
  const plugin = program.command("plugin").description("Inspect, hash, verify and pin WASM plugins");
  plugin.command("hash")
    .description("Print the sha256 of a .wasm file (the value to pin)")
    .argument("<wasm>", "the plugin file")
    .action(async (wasm) => {
      console.log(`${await sha256Hex(await _readWasm(wasm))}  ${wasm}`);
    });
  plugin.command("inspect")
    .description("Show a plugin's sha256, exports, imports and descriptor (described in the sandbox)")
    .argument("<wasm>", "the plugin file")
    .option("--json", "print one JSON object")
    .action(async (wasm, opts) => await _inspect(wasm, opts.json === true));
  plugin.command("verify")
    .description("Check every pin of a plugin lock: file present, sha256, ABI and exports")
    .argument("[flow_yaml]", "the flow whose lock (aetherflow.plugins.yaml beside it) is checked")
    .option("--lock <path>", "the lock file to check")
    .option("--json", "print one JSON object")
    .action(async (flow, opts) => await _verify(flow, opts.lock, opts.json === true));
  plugin.command("pin")
    .description("Add or update a plugin's entry (sha256 and grants) in a plugin lock")
    .argument("<wasm>", "the plugin file")
    .option("--lock <path>", `the lock file (default: $${PLUGIN_LOCK_ENV}, else ./${PLUGIN_LOCK_FILE})`)
    .option(
      "--grant <key=value>",
      "grant, repeatable: hosts=a,b files=artifacts resources=r1 dirs=/g:/host timeout_ms=N memory_mb=N max_output_bytes=N",
      _collect,
      [] as string[],
    )
    .option("--run <mode>", "worker (default, sandboxed) or foreground (trusted only)")
    .option(
      "--no-copy",
      "pin the module where it is (default: a module outside the lock's folder is copied to <lock dir>/plugins/)",
    )
    .action(async (wasm, opts) => await _pin(wasm, opts));
  plugin.command("new")
    .description(
      "Scaffold an AssemblyScript plugin (sources, build script, test); a project: aetherflow init",
    )
    .argument("<name>", "plugin name (letters, digits, _ . -)")
    .option("--dir <path>", "where to create it (default: ./<name>)")
    .action(async (name, opts) => {
      const dir = resolve(opts.dir ?? name);
      try {
        if (!Deno.statSync(dir).isDirectory) {
          throw new UsageError(`Target exists and is not a folder: ${dir}`);
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) {
          if (err instanceof UsageError) throw err;
          throw new UsageError(`Cannot create the plugin folder ${dir}: ${(err as Error).message}`);
        }
      }
      const { scaffoldPlugin } = await import("../plugins/sdk/scaffold.ts");
      const files = await scaffoldPlugin({ name, dir });
      for (const f of files) console.log(`created ${relative(Deno.cwd(), f) || f}`);
      const where = relative(Deno.cwd(), dir) || ".";
      console.log(`next: cd ${where} && deno task build && deno task test`);
      console.log(
        `then: aetherflow plugin pin ${
          join(where, "build", `${name}.wasm`)
        } --lock <flows>/${PLUGIN_LOCK_FILE}`,
      );
    });
}

const _GRANT_KEYS = [
  "hosts",
  "files",
  "dirs",
  "resources",
  "timeout_ms",
  "memory_mb",
  "max_output_bytes",
] as const;

function _collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function _readWasm(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.IsADirectory || _isDir(path)) {
      throw new UsageError(`Plugin path is a directory, not a .wasm file: ${resolve(path)}`, { cause: err });
    }
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`Plugin file not found: ${resolve(path)}`, { cause: err });
    }
    throw new UsageError(`Cannot read plugin file ${resolve(path)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function _inspect(wasm: string, json: boolean): Promise<void> {
  const path = resolve(wasm);
  const bytes = await _readWasm(path);
  const sha256 = await sha256Hex(bytes);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new UsageError(`Invalid plugin module ${path}: ${String(err)}`);
  }
  const exports = WebAssembly.Module.exports(module).map((e) => `${e.name} (${e.kind})`);
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module} ${i.name} (${i.kind})`);
  const host = await import("../plugins/host/mod.ts");
  let descriptor: unknown = null;
  let error: string | null = null;
  try {
    // Self-pinned: inspecting runs only aetherflow_describe, in the worker sandbox with nothing granted.
    const p = await host.loadWasmPlugin({ path, sha256 });
    descriptor = p.descriptor;
    await p.close();
  } catch (err) {
    error = (err as Error).message;
  }
  if (json) {
    // One JSON style (docs/cli.md "JSON output"): `ok` first; a failure is listed under `errors`.
    const errors = error === null ? [] : [{ code: "plugin", loc: path, msg: error }];
    console.log(
      JSON.stringify({
        ok: error === null,
        path,
        sha256,
        size: bytes.length,
        exports,
        imports,
        descriptor,
        errors,
      }),
    );
  } else {
    console.log(`File: ${path}\nsha256: ${sha256}\nSize: ${bytes.length} bytes`);
    console.log(`Exports:\n${exports.map((e) => `  ${e}`).join("\n")}`);
    console.log(`Imports:\n${imports.map((i) => `  ${i}`).join("\n")}`);
    console.log(
      error ? `Descriptor: error: ${error}` : `Descriptor:\n${JSON.stringify(descriptor, null, 2)}`,
    );
  }
  if (error) setExitCode(EXIT.INVALID);
}

async function _verify(flow: string | undefined, lockOpt: string | undefined, json = false): Promise<void> {
  let lockFile: string | null = lockOpt ? resolve(lockOpt) : null;
  if (!lockFile) {
    lockFile = await findPluginLock({ flowPath: flow ?? "./flow.yaml", snapshot: Deno.env.toObject() });
  }
  if (!lockFile) {
    throw new UsageError(
      `No plugin lock found (give --lock, set ${PLUGIN_LOCK_ENV}, or put ${PLUGIN_LOCK_FILE} beside the flow)`,
    );
  }
  const lock = await readPluginLock(lockFile);
  const host = await import("../plugins/host/mod.ts");
  const { StepRegistry } = await import("../engine/steps/registry.ts");
  const { ConnectorRegistry } = await import("../engine/connectors/registry.ts");
  const registry = StepRegistry.withBuiltins();
  const connectors = ConnectorRegistry.withBuiltins();
  let failed = 0;
  const pins: { path: string; ok: boolean; plugin?: string; sha256?: string; error?: string }[] = [];
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  for (const pin of resolvePins(lock)) {
    try {
      const p = await host.loadWasmPlugin({
        path: pin.path,
        sha256: pin.sha256,
        grants: renderGrantDirs(pin, Deno.env.toObject()),
        mode: pin.run,
      });
      try {
        // The run registers every pin's steps and connectors next to the built-ins: a clash fails it (exit 2).
        for (const step of p.descriptor.steps) registry.register(host.pluginStepDefinition(p, step));
        for (const c of p.descriptor.connectors) connectors.register(host.pluginConnectorDefinition(p, c));
      } finally {
        await p.close();
      }
      pins.push({ path: pin.path, ok: true, plugin: p.label, sha256: p.sha256 });
      say(`OK ${pin.path} ${p.label} sha256 ${p.sha256}`);
    } catch (err) {
      failed++;
      const msg = _isDir(pin.path)
        ? `Plugin path is a directory, not a .wasm file: ${pin.path}`
        : err instanceof Deno.errors.NotFound
        ? `Plugin path not found: ${pin.path}`
        : (err as Error).message;
      pins.push({ path: pin.path, ok: false, error: msg });
      say(`FAIL ${pin.path}: ${msg}`);
    }
  }
  if (json) {
    const errors = pins.filter((p) => !p.ok).map((p) => ({ code: "plugin", loc: p.path, msg: p.error! }));
    console.log(JSON.stringify({ ok: failed === 0, lock: lockFile, pins, errors }));
  }
  say(`${lock.plugins.length - failed} of ${lock.plugins.length} pins OK (${lockFile})`);
  if (failed > 0) setExitCode(EXIT.INVALID);
}

async function _pin(
  wasm: string,
  opts: { lock?: string; grant: string[]; run?: string; copy: boolean },
): Promise<void> {
  const source = resolve(wasm);
  const bytes = await _readWasm(source);
  const sha256 = await sha256Hex(bytes);
  const grants = parseGrantOptions(opts.grant);
  if (opts.run !== undefined && opts.run !== "worker" && opts.run !== "foreground") {
    throw new UsageError(`--run must be worker or foreground, got ${JSON.stringify(opts.run)}`);
  }
  const env = Deno.env.get(PLUGIN_LOCK_ENV)?.trim();
  const lockFile = resolve(opts.lock ?? (env ? env : PLUGIN_LOCK_FILE));
  if (_isDir(lockFile)) throw new UsageError(`Plugin lock ${lockFile} is a directory, not a file`);
  const lockDir = dirname(lockFile);
  if (!_isDir(lockDir)) throw new UsageError(`Plugin lock folder does not exist: ${lockDir}`);
  const lock: PluginLock = await isFile(lockFile)
    ? await readPluginLock(lockFile)
    : { file: lockFile, plugins: [] };
  // Refuse to pin what would not load (ABI, exports, grants) rather than fail at the next run.
  const host = await import("../plugins/host/mod.ts");
  const mode = opts.run === "foreground" ? "foreground" : "worker";
  const p = await host.loadWasmPlugin({ path: source, sha256, grants, mode });
  await p.close();
  // A module from elsewhere (a plugin project's build/ folder) is copied beside the lock: the pin then points at
  // a file that ships with the flows and that a rebuild of the project does not change under it.
  let path = source;
  const rel0 = relative(lockDir, source);
  if (opts.copy && (rel0 === ".." || rel0.startsWith("../") || isAbsolute(rel0))) {
    path = join(lockDir, "plugins", basename(source));
    await _writeAtomic(path, bytes);
    console.log(`Copied ${relative(Deno.cwd(), source) || source} to ${relative(Deno.cwd(), path) || path}`);
  }
  const rel = relative(lockDir, path);
  const next = upsertPin(lock, {
    path: isAbsolute(rel) ? path : rel,
    sha256,
    ...(Object.keys(grants).length > 0 ? { grants } : {}),
    ...(opts.run ? { run: mode } : {}),
  });
  await writePluginLock(next);
  console.log(`Pinned ${rel} (${p.label}, sha256 ${sha256}) in ${lockFile}`);
}

/** Write `bytes` to `path` through a temporary sibling and a rename (never a half-written module). */
async function _writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${Deno.pid}.tmp`);
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(`Cannot copy the module to ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Parse `--grant key=value` options into grants.
 * @throws {UsageError} on an unknown key or a bad value.
 */
export function parseGrantOptions(items: readonly string[]): GrantsInput {
  const g: Record<string, unknown> = {};
  const lists: Record<string, string[]> = {};
  const dirs: Record<string, { path: string; mode: "rw" | "ro" }> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--grant must be key=value, got ${JSON.stringify(item)}`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === "hosts" || key === "resources") {
      lists[key] = [...(lists[key] ?? []), ...value.split(",").map((s) => s.trim()).filter((s) => s)];
    } else if (key === "dirs") {
      const [guest, hostPath, mode, ...rest] = value.split(":");
      if (!guest || !hostPath || rest.length > 0 || (mode !== undefined && mode !== "rw" && mode !== "ro")) {
        throw new UsageError(`--grant dirs must be /guest:/host/path[:rw|ro], got ${JSON.stringify(value)}`);
      }
      dirs[guest] = { path: resolve(hostPath), mode: mode === "ro" ? "ro" : "rw" };
    } else if (key === "files") g.files = value;
    else if (key === "timeout_ms" || key === "memory_mb" || key === "max_output_bytes") {
      g[key] = Number(value);
    } else {
      const hint = suggestKey(key, _GRANT_KEYS);
      throw new UsageError(
        `Unknown grant ${JSON.stringify(key)}${hint ? ` (did you mean '${hint}'?)` : ""}; known: ${
          _GRANT_KEYS.join(", ")
        }`,
      );
    }
  }
  Object.assign(g, lists);
  if (Object.keys(dirs).length > 0) g.dirs = dirs;
  const parsed = GrantsSchema.safeParse(g);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(`Invalid grant ${first?.path.join(".") ?? ""}: ${first?.message ?? "invalid"}`);
  }
  return g as GrantsInput;
}

function _isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
