// The composition root shared by validate, doctor, explain and run (core.md §2.1, §7.1, D10): one snapshot,
// pinned plugins loaded into fresh registries, the secrets provider's expand_env applied, then validation with
// that same finalized snapshot. Every later read (run, resources, masking) uses what this returns.
import { buildSnapshot, finalizeSnapshot, Masker, resolveMode } from "../engine/config/mod.ts";
import type { Mode, SecretsProvider, Snapshot } from "../engine/config/mod.ts";
import { ConnectorRegistry } from "../engine/connectors/mod.ts";
import { UsageError } from "../engine/errors.ts";
import { validateFlow, type ValidationReport } from "../engine/flow/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import { loadPluginsForFlow } from "../plugins/mod.ts";

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
  /** Stops plugin workers; call on every exit path. */
  close(): Promise<void>;
}

export interface PrepareFlowOptions {
  strictEnv?: boolean;
  /** Where plugin load-time log lines go (already masked). */
  log?: (line: string) => void;
}

/** Snapshot, plugins, validation — in the order of core.md §2.1. Throws UsageError (exit 2) on unusable input. */
export async function prepareFlow(flowPath: string, options: PrepareFlowOptions = {}): Promise<PreparedFlow> {
  const base = buildSnapshot();
  const masker = new Masker();
  masker.addFromSnapshot(base);
  // Plugin pins are looked up beside the flow, so a missing flow must fail first, with validate's message.
  const kind = await _pathKind(flowPath);
  if (kind === "missing") throw new UsageError(`Flow file not found: ${flowPath}`);
  if (kind !== "file") throw new UsageError(`Flow file is not a regular file: ${flowPath}`);
  const mode = resolveMode(base);
  const registry = StepRegistry.withBuiltins();
  const connectors = ConnectorRegistry.withBuiltins();
  const log = options.log ?? ((line: string) => console.error(line));
  const loaded = await loadPluginsForFlow({
    flowPath,
    snapshot: base,
    registry,
    connectors,
    mode,
    log: (level, msg) => log(masker.mask(`${level} aetherflow.plugins - ${msg}`)),
  });
  try {
    const report = await validateFlow({
      flowPath,
      snapshot: base,
      registry,
      strictEnv: options.strictEnv,
      finalizeSnapshot: (snapshot, flow) =>
        finalizeSnapshot(snapshot, { workspaceRoot: flow.flow.workspace.root, secrets: loaded.secrets }),
    });
    const snapshot = report.snapshot ?? base;
    masker.addFromSnapshot(snapshot);
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
      close: () => loaded.close(),
    };
  } catch (err) {
    await loaded.close();
    throw err;
  }
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
 * prints the validate report and exits 2 (core.md §9.4, §9.5).
 */
export function isUnusableInput(report: ValidationReport): boolean {
  if (!report.flow) return true;
  return report.errors.some((i) =>
    (i.loc === "profiles" || i.loc.startsWith("profiles.")) && !i.code.startsWith("template:") &&
    i.code !== "semantic:missing_env"
  );
}
