/**
 * Load and validate a flow the way every command does (docs/architecture.md "Composition root", D10): one
 * snapshot (with a bundle: one sync and its wiring), pinned plugins loaded into fresh step and connector
 * registries, the secrets provider's expand_env applied, then validation with that same finalized snapshot.
 * Every later read (run, resources, masking) uses what this returns.
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { buildSnapshot, finalizeSnapshot, loadSettings, Masker, resolveMode } from "../engine/config/mod.ts";
import type { Mode, SecretsProvider, Snapshot } from "../engine/config/mod.ts";
import { type AnyConnectorDefinition, ConnectorRegistry } from "../engine/connectors/mod.ts";
import { AetherflowError, errorMessage, EXIT, UsageError } from "../engine/errors.ts";
import { flowSecretValues, validateFlow, type ValidationReport } from "../engine/flow/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import type { AnyStepDefinition } from "../engine/steps/types.ts";
import { loadPluginsForFlow } from "../plugins/mod.ts";
import type { JsonObject } from "../engine/types.ts";
import { maskErrorsWith } from "./error_masking.ts";

export interface PreparedFlow {
  flowPath: string;
  report: ValidationReport;
  /** The finalized snapshot when the flow parsed (expand_env output + engine keys), else the base snapshot. */
  snapshot: Snapshot;
  masker: Masker;
  mode: Mode;
  registry: StepRegistry;
  connectors: ConnectorRegistry;
  plugins: { name: string; version: string; sha256: string }[];
  secrets?: SecretsProvider;
  /** With `--bundle-manifest`: the run record's bundle identity and the manifest's archive allow-list. */
  bundle?: { record: JsonObject; archiveAllowList: string[] };
  /** Stops plugin workers; call on every exit path. */
  close(): Promise<void>;
}

export interface PrepareFlowOptions {
  strictEnv?: boolean;
  /** The environment the run will have (default: this process's); `schedule` checks items with a unit's env. */
  env?: Readonly<Record<string, string>>;
  /** The directory the run will start in (default: the process cwd); relative env/profile paths use it. */
  cwd?: string;
  /** Where plugin load-time and bundle log lines go (already masked); default: dropped. */
  log?: (line: string) => void;
  /** `--bundle-manifest` / `--allow-stale-bundle`: the flow is the bundle's entry flow (docs/bundles.md). */
  bundle?: { manifestPath: string; allowStale: boolean };
  /** In-process step types to register besides the built-ins and plugins (embedding). */
  steps?: readonly AnyStepDefinition[];
  /** In-process connector types to register besides the built-ins and plugins (embedding). */
  connectorTypes?: readonly AnyConnectorDefinition[];
  /** `--env-file` paths, after `AETHERFLOW_ENV_FILES_JSON` (docs/configuration.md). */
  envFiles?: readonly string[];
}

/**
 * Snapshot (with a bundle: one sync and its wiring), plugins, validation — in that order. `flowArg` may be
 * omitted only with a bundle. Call `close()` on the result on every path (it stops plugin workers).
 * @throws {UsageError} (exit 2) on unusable input: a missing flow file, bad env files, a failed bundle sync.
 */
export async function prepareFlow(
  flowArg: string | undefined,
  options: PrepareFlowOptions = {},
): Promise<PreparedFlow> {
  let base = buildSnapshot({
    env: options.env ? { ...options.env } : undefined,
    cwd: options.cwd,
    envFiles: options.envFiles,
  });
  const masker = new Masker();
  masker.addFromSnapshot(base);
  maskErrorsWith(masker);
  const log = options.log ?? (() => {});
  let flowPath = flowArg;
  let bundle: PreparedFlow["bundle"];
  let bundleDirs: { activeDir: string; cacheDir: string } | undefined;
  let manifestPins: Awaited<ReturnType<typeof _useBundle>>["pins"] = [];
  let archiveAllowList: string[] | undefined;
  if (options.bundle) {
    const used = await _useBundle(base, flowArg, options.bundle, { masker, log, cwd: options.cwd });
    base = used.snapshot;
    masker.addFromSnapshot(base);
    flowPath = used.flowPath;
    bundle = { record: used.record, archiveAllowList: used.archiveAllowList };
    bundleDirs = { activeDir: used.activeDir, cacheDir: used.cacheDir };
    manifestPins = used.pins;
    archiveAllowList = used.archiveAllowList;
  }
  if (flowPath === undefined) throw new UsageError("missing flow file: give FLOW_YAML or --flow-yaml");
  // Plugin pins are looked up beside the flow, so a missing flow must fail first, with validate's message.
  const kind = await _pathKind(flowPath);
  if (kind === "missing") throw new UsageError(`Flow file not found: ${flowPath}`);
  if (kind !== "file") throw new UsageError(`Flow file is not a regular file: ${flowPath}`);
  const mode = resolveMode(base);
  const registry = StepRegistry.withBuiltins();
  for (const def of options.steps ?? []) registry.register(def);
  const connectors = ConnectorRegistry.withBuiltins();
  for (const def of options.connectorTypes ?? []) connectors.register(def);
  const loaded = await loadPluginsForFlow({
    flowPath,
    snapshot: base,
    registry,
    connectors,
    mode,
    manifestPins,
    pinsOnlyAuthorize: options.bundle !== undefined && mode === "enterprise",
    cwd: options.cwd,
    log: (level, msg) => log(masker.mask(`${level} aetherflow.plugins - ${msg}`)),
  });
  try {
    const report = await validateFlow({
      flowPath,
      snapshot: base,
      registry,
      connectors,
      strictEnv: options.strictEnv,
      ...(archiveAllowList ? { archiveAllowList } : {}),
      cwd: options.cwd,
      finalizeSnapshot: (snapshot, flow) =>
        finalizeSnapshot(snapshot, {
          workspaceRoot: flow.flow.workspace.root,
          secrets: loaded.secrets,
          ...(bundleDirs ? { bundle: bundleDirs } : {}),
        }),
    });
    const snapshot = report.snapshot ?? base;
    masker.addFromSnapshot(snapshot);
    if (report.flow) {
      const declared = flowSecretValues(report.flow, {
        steps: registry,
        connectors,
        profiles: report.profiles ?? {},
        snapshot,
      });
      for (const v of declared) masker.add(v);
    }
    return {
      flowPath,
      report,
      snapshot,
      masker,
      mode: resolveMode(snapshot),
      registry,
      connectors,
      plugins: loaded.plugins,
      secrets: loaded.secrets,
      ...(bundle ? { bundle } : {}),
      close: () => loaded.close(),
    };
  } catch (err) {
    await loaded.close();
    // Nothing has run yet (a secrets provider's expand_env failed, say): invalid input, exit 2 (D2).
    if (err instanceof AetherflowError && err.exitCode === EXIT.INVALID) throw err;
    throw new AetherflowError(masker.mask(errorMessage(err)), {
      code: err instanceof AetherflowError ? err.code : "config:prepare",
      exitCode: EXIT.INVALID,
      cause: err,
    });
  }
}

/** The bundle is synced with the work root of the settings (docs/bundles.md "Running a bundle"). */
async function _useBundle(
  base: Readonly<Record<string, string>>,
  flowArg: string | undefined,
  opts: { manifestPath: string; allowStale: boolean },
  context: { masker: Masker; log: (line: string) => void; cwd?: string },
) {
  const { masker, log } = context;
  const { useBundle } = await import("../engine/bundles/mod.ts");
  const cwd = context.cwd ?? Deno.cwd();
  return await useBundle({
    manifestPath: opts.manifestPath,
    snapshot: base,
    workRoot: workRootPath(loadSettings(base, { cwd }).work_root, cwd),
    allowStale: opts.allowStale,
    flowArg,
    cwd,
    warn: (msg) => log(masker.mask(`WARNING aetherflow.bundles - ${msg}`)),
    mask: (s) => masker.mask(s),
  });
}

/** `~`-expanded, absolute work root. */
export function workRootPath(path: string, cwd: string): string {
  const home = Deno.env.get("HOME") ?? "/";
  const p = path === "~" || path.startsWith("~/") ? join(home, path.slice(1)) : path;
  return isAbsolute(p) ? resolve(p) : resolve(cwd, p);
}

async function _pathKind(path: string): Promise<"file" | "other" | "missing"> {
  try {
    return (await Deno.stat(path)).isFile ? "file" : "other";
  } catch {
    return "missing";
  }
}

/**
 * doctor/explain: a YAML/schema failure or broken profiles leave nothing sound to diagnose, so the command
 * prints the validate report and exits 2 (docs/cli.md).
 */
export function isUnusableInput(report: ValidationReport): boolean {
  if (!report.flow) return true;
  return report.errors.some((i) =>
    (i.loc === "profiles" || i.loc.startsWith("profiles.")) && !i.code.startsWith("template:") &&
    i.code !== "semantic:missing_env"
  );
}
