/**
 * Load every plugin that applies to a flow: the pins (plugin lock, or bundle manifest pins), the files found
 * on `AETHERFLOW_PLUGIN_PATHS`, and the secrets plugin; register their steps and connectors (docs/plugins.md,
 * D10, D11). With nothing configured it returns at once without loading the Extism runtime.
 * @module
 */
import { join, resolve } from "node:path";
import { loadSettings } from "../engine/config/settings.ts";
import { AetherflowError, EXIT } from "../engine/errors.ts";
import type { StepRegistry } from "../engine/steps/registry.ts";
import {
  findPluginLock,
  isFile,
  readPluginLock,
  renderGrantDirs,
  type ResolvedPin,
  resolvePins,
} from "./lock/plugin_lock.ts";
import { EXPORTS } from "./abi/mod.ts";
import { sha256Hex } from "./host/wasm_bytes.ts";
import type { PluginLogLevel } from "./host/call_scope.ts";
import type { PluginConnectorDefinition } from "./host/plugin_step.ts";
import type { WasmPlugin } from "./host/wasm_plugin.ts";
import type { SecretsProvider } from "./secrets/plugin_secrets_provider.ts";

/** A registry that accepts plugin connectors (engine/connectors ConnectorRegistry fits). */
export interface ConnectorRegistryLike {
  register(def: PluginConnectorDefinition): void;
}

export interface LoadPluginsOptions {
  flowPath: string;
  snapshot: Readonly<Record<string, string>>;
  registry: StepRegistry;
  mode: "internal_fast" | "enterprise";
  /** Receives plugin connectors; without it they are only returned. */
  connectors?: ConnectorRegistryLike;
  /** Pins from a bundle manifest (the only pins enterprise mode accepts). */
  manifestPins?: readonly ResolvedPin[];
  /**
   * Enterprise bundles: a pin only authorises a file found on the plugin paths (`paths.plugins`); it loads
   * nothing by itself, so plugin files shipped inside the bundle never run (docs/bundles.md).
   */
  pinsOnlyAuthorize?: boolean;
  /** Load-time plugin logs and warnings (a missing path when not strict). */
  log?: (level: PluginLogLevel, message: string) => void;
  /** Base for relative `AETHERFLOW_*` paths; defaults to the process cwd. */
  cwd?: string;
}

export interface LoadedPluginInfo {
  name: string;
  version: string;
  sha256: string;
}

export interface LoadedPlugins {
  /** For the run record: every plugin used (D11). */
  plugins: LoadedPluginInfo[];
  secrets?: SecretsProvider;
  connectors: PluginConnectorDefinition[];
  close(): Promise<void>;
}

const _EMPTY: LoadedPlugins = { plugins: [], connectors: [], close: () => Promise.resolve() };

/**
 * Load, check and register the plugins of a flow.
 * @throws {AetherflowError} exit 2: unpinned plugin, hash mismatch (both hashes named), ABI major, missing
 * export, invalid lock or grants, missing path (strict), duplicate step type or connector.
 */
export async function loadPluginsForFlow(options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const env = options.snapshot;
  const cwd = options.cwd ?? Deno.cwd();
  const log = options.log ?? (() => {});
  // The same settings (env, settings file, D17 booleans) every other subsystem reads (docs/configuration.md).
  const settings = loadSettings(env, { cwd });
  const strict = settings.plugin_strict;
  const searchPaths = settings.plugin_paths;
  const secretsRef = (settings.secrets_plugin ?? "").trim();
  const lockFile = await findPluginLock({ flowPath: options.flowPath, snapshot: env, cwd });
  const manifestPins = options.manifestPins ?? [];
  if (!lockFile && manifestPins.length === 0 && searchPaths.length === 0 && secretsRef === "") return _EMPTY;

  let pins: ResolvedPin[] = [...manifestPins];
  if (lockFile) {
    const lockPins = resolvePins(await readPluginLock(lockFile));
    if (options.mode === "enterprise" && lockPins.length > 0) {
      throw _refuse(
        `Enterprise mode accepts only plugins pinned in the bundle manifest; plugin lock ${lockFile} is not accepted`,
        "plugin:unpinned",
      );
    }
    pins = [...pins, ...lockPins];
  }

  const toLoad = new Map<string, ResolvedPin>();
  for (const pin of options.pinsOnlyAuthorize ? [] : pins) {
    if (await isFile(pin.path)) toLoad.set(pin.path, pin);
    else _missing(pin.path, strict, log);
  }
  for (const p of searchPaths) {
    for (const file of await _discover(resolve(cwd, p), strict, log)) {
      if (toLoad.has(file)) continue;
      toLoad.set(file, await _pinFor(file, pins));
    }
  }
  let secretsPath: string | null = null;
  if (secretsRef.includes("/") || secretsRef.endsWith(".wasm")) {
    secretsPath = resolve(cwd, secretsRef);
    if (!toLoad.has(secretsPath)) toLoad.set(secretsPath, await _pinFor(secretsPath, pins));
  }
  if (toLoad.size === 0) {
    // A secrets plugin named (not a path) that nothing provides must not be ignored: decode would silently
    // leave values encoded.
    if (secretsRef !== "") {
      throw _refuse(
        `Secrets plugin not found: ${secretsRef} (AETHERFLOW_SECRETS_PLUGIN); no plugin lock, bundle manifest or ` +
          "AETHERFLOW_PLUGIN_PATHS entry provides a plugin",
        "plugin:secrets",
      );
    }
    return _EMPTY;
  }

  // The only place the Extism runtime is loaded (start-up cost is paid only when a plugin is configured).
  const host = await import("./host/mod.ts");
  const loaded: WasmPlugin[] = [];
  const closeAll = async () => {
    await Promise.all(loaded.map((p) => p.close()));
  };
  try {
    for (const pin of toLoad.values()) {
      loaded.push(
        await host.loadWasmPlugin({
          path: pin.path,
          sha256: pin.sha256,
          grants: renderGrantDirs(pin, env),
          mode: pin.run,
          log,
        }),
      );
    }
    const connectors = _register(loaded, options, host);
    const secretsPlugin = _secretsPlugin(loaded, secretsRef, secretsPath);
    const { pluginSecretsProvider } = await import("./secrets/plugin_secrets_provider.ts");
    return {
      plugins: loaded.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256 })),
      ...(secretsPlugin ? { secrets: pluginSecretsProvider(secretsPlugin) } : {}),
      connectors,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function _register(
  loaded: readonly WasmPlugin[],
  options: LoadPluginsOptions,
  host: typeof import("./host/mod.ts"),
): PluginConnectorDefinition[] {
  const connectors: PluginConnectorDefinition[] = [];
  const seen = new Map<string, string>();
  for (const plugin of loaded) {
    for (const step of plugin.descriptor.steps) {
      options.registry.register(host.pluginStepDefinition(plugin, step));
    }
    for (const c of plugin.descriptor.connectors) {
      const key = `${c.kind}:${c.driver}`;
      const prev = seen.get(key);
      if (prev) throw _refuse(`Connector ${key} already registered by ${prev}`, "plugin:duplicate_connector");
      seen.set(key, plugin.origin);
      const def = host.pluginConnectorDefinition(plugin, c);
      try {
        options.connectors?.register(def);
      } catch (err) {
        // A clash with a built-in connector is a load-time refusal like any other (docs/plugins.md: exit 2).
        throw _refuse((err as Error).message, "plugin:duplicate_connector");
      }
      connectors.push(def);
    }
  }
  return connectors;
}

// AETHERFLOW_SECRETS_PLUGIN names a path or a plugin name; without it, the one plugin declaring `secrets`.
function _secretsPlugin(
  loaded: readonly WasmPlugin[],
  ref: string,
  path: string | null,
): WasmPlugin | undefined {
  let chosen: WasmPlugin | undefined;
  if (path) chosen = loaded.find((p) => p.path === path);
  else if (ref !== "") {
    chosen = loaded.find((p) => p.name === ref);
    if (!chosen) {
      throw _refuse(`Secrets plugin not found: ${ref} (AETHERFLOW_SECRETS_PLUGIN)`, "plugin:secrets");
    }
  } else {
    const declared = loaded.filter((p) => p.descriptor.secrets);
    if (declared.length > 1) {
      throw _refuse(
        `Several plugins declare secrets (${
          declared.map((p) => p.label).join(", ")
        }); choose one with AETHERFLOW_SECRETS_PLUGIN`,
        "plugin:secrets",
      );
    }
    chosen = declared[0];
  }
  if (chosen && !chosen.hasExport(EXPORTS.decode)) {
    throw _refuse(
      `Secrets plugin ${chosen.label} (${chosen.path}) does not export ${EXPORTS.decode}`,
      "plugin:missing_export",
    );
  }
  return chosen;
}

// A file found on a search path is loaded only when pinned: by its path, or by its exact bytes.
async function _pinFor(file: string, pins: readonly ResolvedPin[]): Promise<ResolvedPin> {
  const byPath = pins.find((p) => p.path === file);
  if (byPath) return byPath;
  let sha: string;
  try {
    sha = await sha256Hex(await Deno.readFile(file));
  } catch {
    throw _refuse(`Plugin path not found: ${file}`, "plugin:not_found");
  }
  const byHash = pins.find((p) => p.sha256 === sha);
  if (byHash) return { ...byHash, path: file };
  throw _refuse(
    `Plugin ${file} is not pinned (sha256 ${sha}); pin it with: aetherflow plugin pin ${file}`,
    "plugin:unpinned",
  );
}

async function _discover(
  path: string,
  strict: boolean,
  log: (level: PluginLogLevel, message: string) => void,
): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    _missing(path, strict, log);
    return [];
  }
  if (info.isFile) return [path];
  const out: string[] = [];
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(path)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith("_")) continue;
    const full = join(path, e.name);
    if (e.isDirectory) out.push(...await _discover(full, strict, log));
    else if (e.isFile && e.name.endsWith(".wasm")) out.push(full);
  }
  return out;
}

function _missing(
  path: string,
  strict: boolean,
  log: (level: PluginLogLevel, message: string) => void,
): void {
  if (strict) throw _refuse(`Plugin path not found: ${path}`, "plugin:not_found");
  log("warn", `Plugin path not found: ${path} (skipped, AETHERFLOW_PLUGIN_STRICT=false)`);
}

function _refuse(message: string, code: string): AetherflowError {
  return new AetherflowError(message, { code, exitCode: EXIT.INVALID });
}
