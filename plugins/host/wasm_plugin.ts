/**
 * A loaded, pinned plugin: hash checked before compiling, memory capped in the module, described, ABI major
 * checked, exports checked against what it declares (D11, docs/plugins.md). Calls go through sandboxed worker
 * instances (one per directory mapping, each with its own queue).
 * @module
 */
import { AetherflowError, EXIT, PluginError } from "../../engine/errors.ts";
import { Masker } from "../../engine/config/masking.ts";
import type { JsonObject, JsonValue } from "../../engine/types.ts";
import { basename, dirname, isAbsolute, normalize, posix, relative } from "node:path";
import { rewriteLocalPaths } from "./_local_paths.ts";
import type { StepResult } from "../../engine/steps/types.ts";
import {
  ABI_MAJOR,
  type ConnectorCall,
  ConnectorResultSchema,
  DecodeResultSchema,
  ExpandEnvResultSchema,
  EXPORTS,
  type GrantsInput,
  GrantsSchema,
  HOST_FUNCTIONS,
  HOST_NAMESPACE,
  type PluginDescriptor,
  PluginDescriptorSchema,
  type StepCall,
  StepResultEnvelopeSchema,
} from "../abi/mod.ts";
import { type EffectiveGrants, effectiveGrants } from "./grants.ts";
import { capMemoryPages, sha256Hex, WASM_PAGE_BYTES } from "./wasm_bytes.ts";
import { INIT_EXPORTS, INTERRUPT_IMPORT, rewriteModule } from "./_wasm_rewrite.ts";
import { PluginLogGate } from "./_log_gate.ts";
import { PluginInstance } from "./_instance.ts";
import { buildHostFunctions } from "./_host_functions.ts";
import type { CallScope, PluginLogLevel } from "./call_scope.ts";

export type PluginRunMode = "worker" | "foreground";

export interface LoadWasmPluginOptions {
  /** Absolute path of the .wasm file. */
  path: string;
  /** The pinned lowercase hex sha256. */
  sha256: string;
  grants?: GrantsInput;
  /** `worker` (default, sandboxed) or `foreground` (trusted only: no timeout, no HTTP, no async host calls). */
  mode?: PluginRunMode;
  /** Where plugin logs go outside step calls (describe, secrets). */
  log?: (level: PluginLogLevel, message: string) => void;
}

const _compiled = new Map<string, _Compiled>();
const _WASI_MODULE = "wasi_snapshot_preview1";
const _ARTIFACTS_GUEST = "/artifacts";
/** Where a connector call's local files are mapped (`/local/0`, `/local/1`, … one per directory). */
const _LOCAL_GUEST = "/local";

/**
 * Load a pinned plugin.
 * @throws {AetherflowError} exit 2 with codes `plugin:hash_mismatch`, `plugin:missing_export`, `plugin:abi`,
 * `plugin:descriptor`, `plugin:grants`, `plugin:memory`, `plugin:invalid_module`, `plugin:not_found`.
 */
export async function loadWasmPlugin(options: LoadWasmPluginOptions): Promise<WasmPlugin> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(options.path);
  } catch (err) {
    throw new AetherflowError(`Plugin path not found: ${options.path}`, {
      code: "plugin:not_found",
      exitCode: EXIT.INVALID,
      cause: err,
    });
  }
  const actual = await sha256Hex(bytes);
  if (actual !== options.sha256.toLowerCase()) {
    throw _invalid(
      `Plugin ${options.path} does not match its pin: pinned sha256 ${options.sha256}, file sha256 ${actual}`,
      "plugin:hash_mismatch",
    );
  }
  const parsedGrants = GrantsSchema.safeParse(options.grants ?? {});
  if (!parsedGrants.success) {
    throw _invalid(
      `Invalid grants for plugin ${options.path}: ${parsedGrants.error.message}`,
      "plugin:grants",
    );
  }
  for (const [guest, d] of Object.entries(parsedGrants.data.dirs)) {
    // Templated paths are rendered by whoever loads the plugin for a run (renderGrantDirs); `plugin pin`
    // checks the rest of a grant before any environment is known.
    if (!isAbsolute(d.path) && !d.path.includes("{{")) {
      throw _invalid(
        `Invalid grants for plugin ${options.path}: dirs.${guest}.path must be an absolute path: ${d.path}`,
        "plugin:grants",
      );
    }
    if (d.mode === "ro") {
      // node:wasi (used by Extism 1.0.3) has no read-only preopens: a read-only promise we cannot keep is refused.
      throw _invalid(
        `Invalid grants for plugin ${options.path}: dirs.${guest} mode ro cannot be enforced by this host; grant mode rw or copy the files into the artifacts directory`,
        "plugin:grants",
      );
    }
  }
  const grantsNoCaps = effectiveGrants({ hosts: [], resources: [], dirs: [] }, parsedGrants.data);
  const { module, initExports } = await _compile(bytes, actual, grantsNoCaps.memoryMb);
  const plugin = new WasmPlugin({
    path: options.path,
    sha256: actual,
    module,
    initExports,
    mode: options.mode ?? "worker",
    log: options.log ?? (() => {}),
    grants: grantsNoCaps,
  });
  try {
    await plugin.describeAndGrant(parsedGrants.data);
  } catch (err) {
    await plugin.close();
    throw err;
  }
  return plugin;
}

interface _Compiled {
  module: WebAssembly.Module;
  /** Exports holding the module's start-up code (_wasm_rewrite.ts), in call order. */
  initExports: readonly string[];
}

// Rewritten (start-up code as exports, host allocations counted), memory capped, then compiled: once per pin
// and memory cap.
async function _compile(bytes: Uint8Array, sha: string, memoryMb: number): Promise<_Compiled> {
  const pages = Math.floor((memoryMb * 1024 * 1024) / WASM_PAGE_BYTES);
  const key = `${sha}:${memoryMb}`;
  const cached = _compiled.get(key);
  if (cached) return cached;
  const rewritten = rewriteModule(bytes, { allocBudgetBytes: memoryMb * 1024 * 1024 });
  const capped = capMemoryPages(rewritten.bytes, pages);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw _invalid(`Invalid plugin module (sha256 ${sha}): ${String(err)}`, "plugin:invalid_module");
  }
  if (WebAssembly.Module.imports(module).some((i) => i.kind === "memory")) {
    throw _invalid(
      `Invalid plugin module (sha256 ${sha}): imported memories are not supported`,
      "plugin:invalid_module",
    );
  }
  // An import the worker cannot link fails inside Extism's worker, where nothing reports it: refuse it here.
  const missing = WebAssembly.Module.imports(module).filter((i) => !_providedImport(i)).map((i) =>
    `${i.module}.${i.name}`
  );
  if (missing.length > 0) {
    throw _invalid(
      `Invalid plugin module (sha256 ${sha}): imports ${
        missing.join(", ")
      }, which this host does not provide ` +
        `(Extism JS SDK 1.0.3 kernel, ${HOST_NAMESPACE} ${
          Object.values(HOST_FUNCTIONS).join("/")
        }, WASI preview 1)`,
      "plugin:invalid_module",
    );
  }
  const compiled = { module, initExports: rewritten.initExports };
  _compiled.set(key, compiled);
  return compiled;
}

// The kernel functions the Extism JS SDK 1.0.3 worker provides in `extism:host/env`.
const _KERNEL = new Set([
  "alloc",
  "free",
  "load_u8",
  "load_u64",
  "store_u8",
  "store_u64",
  "input_offset",
  "input_length",
  "input_load_u8",
  "input_load_u64",
  "output_set",
  "error_set",
  "config_get",
  "var_get",
  "var_set",
  "http_request",
  "http_status_code",
  "length",
  "length_unsafe",
  "log_warn",
  "log_info",
  "log_debug",
  "log_error",
]);
const _USER = new Set<string>([...Object.values(HOST_FUNCTIONS), INTERRUPT_IMPORT]);

function _providedImport(i: WebAssembly.ModuleImportDescriptor): boolean {
  if (i.kind !== "function") return i.kind === "memory"; // memories are refused above, with their own message
  if (i.module === "extism:host/env") return _KERNEL.has(i.name);
  if (i.module === HOST_NAMESPACE) return _USER.has(i.name);
  return i.module === _WASI_MODULE;
}

function _invalid(message: string, code: string): AetherflowError {
  return new AetherflowError(message, { code, exitCode: EXIT.INVALID });
}

interface WasmPluginInit {
  path: string;
  sha256: string;
  module: WebAssembly.Module;
  initExports: readonly string[];
  mode: PluginRunMode;
  log: (level: PluginLogLevel, message: string) => void;
  grants: EffectiveGrants;
}

/** A loaded plugin. Create with {@link loadWasmPlugin}. */
export class WasmPlugin {
  readonly path: string;
  readonly sha256: string;
  readonly mode: PluginRunMode;
  readonly #module: WebAssembly.Module;
  readonly #exports: ReadonlySet<string>;
  readonly #usesWasi: boolean;
  readonly #initExports: readonly string[];
  readonly #logGate = new PluginLogGate(() => this.label);
  readonly #instances = new Map<string, PluginInstance>();
  readonly #log: (level: PluginLogLevel, message: string) => void;
  #grants: EffectiveGrants;
  #descriptor: PluginDescriptor | null = null;

  constructor(init: WasmPluginInit) {
    this.path = init.path;
    this.sha256 = init.sha256;
    this.mode = init.mode;
    this.#module = init.module;
    this.#log = init.log;
    this.#grants = init.grants;
    this.#exports = new Set(WebAssembly.Module.exports(init.module).map((e) => e.name));
    this.#usesWasi = WebAssembly.Module.imports(init.module).some((i) => i.module === _WASI_MODULE);
    // Extism runs `_initialize` only for WASI modules; the host keeps that rule for the renamed export.
    this.#initExports = init.initExports.filter((e) => e !== INIT_EXPORTS.initialize || this.#usesWasi);
  }

  get descriptor(): PluginDescriptor {
    if (!this.#descriptor) throw new PluginError(`Plugin ${this.path} is not described yet`);
    return this.#descriptor;
  }
  get name(): string {
    return this.descriptor.name;
  }
  get version(): string {
    return this.descriptor.version;
  }
  /** `plugin:<name>@<version>`: the origin recorded on registered steps and connectors. */
  get origin(): string {
    return `plugin:${this.label}`;
  }
  get label(): string {
    return this.#descriptor ? `${this.#descriptor.name}@${this.#descriptor.version}` : this.path;
  }
  get grants(): EffectiveGrants {
    return this.#grants;
  }
  hasExport(name: string): boolean {
    return this.#exports.has(name);
  }

  /**
   * Call `aetherflow_describe` (no grants yet), check ABI and exports, then compute the effective grant.
   * Called once by {@link loadWasmPlugin}.
   */
  async describeAndGrant(grants: ReturnType<typeof GrantsSchema.parse>): Promise<void> {
    if (!this.hasExport(EXPORTS.describe)) {
      throw _invalid(`Plugin ${this.path} does not export ${EXPORTS.describe}`, "plugin:missing_export");
    }
    let raw: JsonValue;
    try {
      const text = await this.#call(EXPORTS.describe, "", this.#idleScope());
      raw = _parseJson(text, `Plugin ${this.path} returned malformed JSON from ${EXPORTS.describe}`);
    } catch (err) {
      // A plugin that cannot describe itself is refused at load time, like any other invalid plugin.
      throw _invalid((err as Error).message, err instanceof PluginError ? err.code : "plugin:describe");
    }
    const major = typeof raw === "object" && raw !== null ? (raw as { abi?: unknown }).abi : undefined;
    if (typeof major === "number" && Math.trunc(major) !== ABI_MAJOR) {
      throw _invalid(
        `Plugin ${this.path} uses plugin ABI major ${major}; this host supports ABI major ${ABI_MAJOR}`,
        "plugin:abi",
      );
    }
    const parsed = PluginDescriptorSchema.safeParse(raw);
    if (!parsed.success) {
      throw _invalid(
        `Plugin ${this.path} returned an invalid descriptor: ${parsed.error.message}`,
        "plugin:descriptor",
      );
    }
    const d = parsed.data;
    const need: [boolean, string][] = [
      [d.steps.length > 0, EXPORTS.step],
      [d.connectors.length > 0, EXPORTS.connector],
      [d.secrets, EXPORTS.decode],
    ];
    for (const [required, name] of need) {
      if (required && !this.hasExport(name)) {
        throw _invalid(
          `Plugin ${d.name}@${d.version} (${this.path}) does not export ${name}`,
          "plugin:missing_export",
        );
      }
    }
    this.#descriptor = d;
    this.#grants = effectiveGrants(d.capabilities, grants);
    // The describe instance had no hosts; one with the granted hosts is made on the next call.
    if (this.#grants.hosts.length > 0) await this.#closeInstances();
  }

  /** Run `aetherflow_step`; a plugin-reported error, a trap or a broken limit throws a PluginError. */
  async callStep(
    call: Omit<StepCall, "work_dir" | "host_work_dir" | "dirs">,
    scope: Omit<CallScope, "dirMap"> & { artifactsDir: string },
  ): Promise<StepResult> {
    const dirMap = this.#dirMap(scope.artifactsDir);
    const extra = this.#grantedDirs();
    const envelope: StepCall = {
      ...call,
      ...(this.#grants.artifacts ? { work_dir: _ARTIFACTS_GUEST, host_work_dir: scope.artifactsDir } : {}),
      ...(Object.keys(extra).length > 0 ? { dirs: extra } : {}),
    };
    const text = await this.#call(EXPORTS.step, JSON.stringify(envelope), { ...scope, dirMap });
    const raw = _parseJson(text, `Plugin ${this.label} returned malformed JSON from ${EXPORTS.step}`);
    const parsed = StepResultEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      throw new PluginError(`Plugin ${this.label} returned an invalid step result: ${parsed.error.message}`);
    }
    const status = parsed.data.status ?? "SUCCESS";
    if (status !== "SUCCESS" && status !== "SKIPPED") {
      throw new PluginError(`Plugin ${this.label} returned invalid step status ${JSON.stringify(status)}`);
    }
    return {
      status,
      outputs: parsed.data.outputs ?? {},
      ...(parsed.data.reason ? { reason: parsed.data.reason } : {}),
    };
  }

  /**
   * Run `aetherflow_connector` and return its `result`. The plugin's granted directories are mapped, and
   * local-path arguments (host paths) are rewritten to guest paths: under a granted directory, or, for a plugin
   * granted file access, under `/local/<n>` mapping the file's directory for this call (docs/plugin-abi.md
   * "Connector call").
   */
  async callConnector(call: Omit<ConnectorCall, "dirs">): Promise<JsonValue> {
    const granted = this.#grantedDirs();
    const mounted = this.#localMounts(call.args, granted);
    const dirs = { ...granted, ...mounted.dirs };
    const envelope: ConnectorCall = {
      ...call,
      args: mounted.args,
      ...(Object.keys(dirs).length > 0 ? { dirs } : {}),
    };
    const scope: CallScope = { ...this.#idleScope(), dirMap: dirs };
    // Its own instance: a step of this same plugin may be the caller (af_connector_call), and it holds the
    // step instance's queue until this call returns.
    const text = await this.#call(EXPORTS.connector, JSON.stringify(envelope), scope, "connector");
    const raw = _parseJson(text, `Plugin ${this.label} returned malformed JSON from ${EXPORTS.connector}`);
    const parsed = ConnectorResultSchema.safeParse(raw);
    if (!parsed.success) throw new PluginError(`Plugin ${this.label} returned an invalid connector result`);
    return parsed.data.result ?? null;
  }

  /** `aetherflow_decode`: the decoded value (a secret: the caller masks it from then on, D18). */
  async decode(value: string): Promise<string> {
    return await this.#secretsCall(EXPORTS.decode, JSON.stringify({ value }), (text) => {
      const parsed = DecodeResultSchema.safeParse(
        _parseJson(text, `Plugin ${this.label} returned malformed JSON from ${EXPORTS.decode}`),
      );
      if (!parsed.success) throw new PluginError(`Plugin ${this.label} returned an invalid decode result`);
      return { result: parsed.data.value, secrets: [parsed.data.value] };
    });
  }

  /** `aetherflow_expand_env`: returns the new snapshot. */
  async expandEnv(env: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    return await this.#secretsCall(EXPORTS.expandEnv, JSON.stringify({ env }), (text) => {
      const parsed = ExpandEnvResultSchema.safeParse(
        _parseJson(text, `Plugin ${this.label} returned malformed JSON from ${EXPORTS.expandEnv}`),
      );
      if (!parsed.success) {
        throw new PluginError(`Plugin ${this.label} returned an invalid expand_env result`);
      }
      // What the provider produced (new or changed values) may be decoded secrets.
      const produced = Object.entries(parsed.data.env).filter(([k, v]) => env[k] !== v).map(([, v]) => v);
      return { result: parsed.data.env, secrets: produced };
    });
  }

  /**
   * A call to a secrets provider (docs/secrets.md "Error paths"). Its lines are held back until the call's
   * result is known and are then logged with that result masked: the caller masks decoded values from then
   * on, which is too late for lines logged during the call. When the call fails, the decoded values are
   * unknown, so neither the plugin's own error text nor its held lines are shown.
   */
  async #secretsCall<T>(
    fn: string,
    input: string,
    interpret: (text: string) => { result: T; secrets: readonly string[] },
  ): Promise<T> {
    const held: [PluginLogLevel, string][] = [];
    let secrets: readonly string[] | null = null;
    try {
      const scope: CallScope = { log: (level, message) => held.push([level, message]), dirMap: {} };
      const out = interpret(await this.#call(fn, input, scope));
      secrets = out.secrets;
      return out.result;
    } catch (err) {
      if (err instanceof PluginError && err.code === "plugin:error") {
        throw new PluginError(
          `Plugin ${this.label} failed in ${fn}; its message is not shown (a secrets provider's messages may hold secrets)`,
          { code: "plugin:error" },
        );
      }
      throw err;
    } finally {
      if (secrets) {
        const masker = new Masker();
        for (const v of secrets) masker.add(v);
        for (const [level, message] of held) this.#log(level, masker.mask(message));
      } else if (held.length > 0) {
        this.#log(
          "warn",
          `Plugin ${this.label} logged ${held.length} line(s) during its failed ${fn}; not shown (they may hold secrets)`,
        );
      }
    }
  }

  async close(): Promise<void> {
    await this.#closeInstances();
  }

  async #closeInstances(): Promise<void> {
    const all = [...this.#instances.values()];
    this.#instances.clear();
    await Promise.all(all.map((i) => i.close()));
  }

  #idleScope(): CallScope {
    return { log: (level, message) => this.#log(level, message), dirMap: {} };
  }

  #dirMap(artifactsDir: string): Record<string, string> {
    const map: Record<string, string> = {};
    if (this.#grants.artifacts) map[_ARTIFACTS_GUEST] = artifactsDir;
    return { ...map, ...this.#grantedDirs() };
  }

  // Guest -> host of the granted directories; a missing one is created (a WASI preopen needs it to exist).
  #grantedDirs(): Record<string, string> {
    const map: Record<string, string> = {};
    for (const [g, d] of Object.entries(this.#grants.dirs)) {
      if (d.path.includes("{{")) {
        throw new PluginError(`Plugin ${this.label}: grants.dirs.${g}.path ${d.path} was not rendered`, {
          code: "plugin:dirs",
        });
      }
      _ensureDir(d.path, this.label);
      map[g] = d.path;
    }
    return map;
  }

  // Local-path arguments of a connector call -> guest paths this plugin can open.
  #localMounts(
    args: JsonObject,
    granted: Readonly<Record<string, string>>,
  ): { args: JsonObject; dirs: Record<string, string> } {
    const dirs: Record<string, string> = {};
    const byDir = new Map<string, string>();
    const out = rewriteLocalPaths(args, (host) => {
      if (!isAbsolute(host)) return null;
      const path = normalize(host);
      for (const [g, h] of Object.entries(granted)) {
        const rel = relative(h, path);
        if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
          return rel === "" ? g : posix.join(g, rel);
        }
      }
      if (!this.#grants.artifacts) return null;
      const dir = dirname(path);
      let guest = byDir.get(dir);
      if (guest === undefined) {
        guest = `${_LOCAL_GUEST}/${byDir.size}`;
        byDir.set(dir, guest);
        _ensureDir(dir, this.label);
        dirs[guest] = dir;
      }
      return `${guest}/${basename(path)}`;
    });
    if ("refused" in out) {
      throw new PluginError(
        `Plugin connector ${this.label} cannot reach the local file of argument '${out.refused}': it needs file ` +
          "access (grants.files: artifacts) or a granted directory holding the file (grants.dirs)",
        { code: "plugin:local_path" },
      );
    }
    return { args: out.args, dirs };
  }

  #call(fn: string, input: string, scope: CallScope, role: "call" | "connector" = "call"): Promise<string> {
    return this.#instance(scope.dirMap, role).call(fn, input, scope);
  }

  // One instance per directory mapping (WASI preopens are fixed when an instance is created, and each job has
  // its own artifacts directory) and per role (connector calls apart from steps). Old ones are closed so a
  // long run does not accumulate workers.
  #instance(dirMap: Readonly<Record<string, string>>, role: "call" | "connector"): PluginInstance {
    const key = `${role} ${JSON.stringify(dirMap)}`;
    const found = this.#instances.get(key);
    if (found) return found;
    for (const [k, inst] of this.#instances) {
      if (this.#instances.size < 4) break;
      this.#instances.delete(k);
      void inst.close();
    }
    const g = this.#grants;
    const maxInputBytes = g.maxOutputBytes;
    const worker = this.mode === "worker";
    const inst = new PluginInstance({
      module: this.#module,
      label: () => this.label,
      worker,
      useWasi: this.#usesWasi,
      allowedHosts: this.#descriptor ? g.hosts : [],
      allowedPaths: dirMap,
      timeoutMs: g.timeoutMs,
      maxOutputBytes: g.maxOutputBytes,
      memoryMb: g.memoryMb,
      idleScope: this.#idleScope(),
      initExports: this.#initExports,
      logGate: this.#logGate,
      hostFunctions: (scope) =>
        buildHostFunctions(
          { label: () => this.label, worker, resources: () => this.#grants.resources, maxInputBytes },
          scope,
        ),
    });
    this.#instances.set(key, inst);
    return inst;
  }
}

function _ensureDir(path: string, label: string): void {
  try {
    Deno.mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new PluginError(
      `Plugin ${label}: cannot create granted directory ${path}: ${(err as Error).message}`,
      {
        code: "plugin:dirs",
      },
    );
  }
}

// The parser's own message quotes the text, which may be a secret (a decode result): only its size is given.
function _parseJson(text: string, message: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    const size = new TextEncoder().encode(text).byteLength;
    throw new PluginError(`${message} (${size} bytes that do not parse as JSON)`, {
      code: "plugin:malformed_json",
    });
  }
}
