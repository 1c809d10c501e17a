/**
 * Snapshot steps 5–6 (docs/configuration.md): the secrets provider's `expand_env` output becomes the snapshot [D10],
 * then the engine keys are set. The result is the one snapshot validate AND run use.
 * @module
 */
import { PHASE_ROOTS, renderString, TemplateError, valueToText } from "../resolver/mod.ts";
import type { SecretsProvider } from "./secrets.ts";
import type { Snapshot } from "./snapshot.ts";

export const ENGINE_KEYS = [
  "AETHERFLOW_LOCAL_ROOT_DIR",
  "AETHERFLOW_ACTIVE_DIR",
  "AETHERFLOW_CACHE_DIR",
] as const;

export interface FinalizeSnapshotOptions {
  /** `flow.workspace.root` after schema defaults, unrendered; rendered here with the post-expand snapshot. */
  workspaceRoot?: string;
  /** With a bundle: its active version dir and cache dir (they replace the workspace root). */
  bundle?: { activeDir: string; cacheDir: string };
  secrets?: SecretsProvider;
}

/**
 * Apply `expand_env` (when the provider has it) and set `AETHERFLOW_LOCAL_ROOT_DIR`, `AETHERFLOW_ACTIVE_DIR`,
 * `AETHERFLOW_CACHE_DIR`. Without a bundle all three are the rendered workspace root; when that root cannot be
 * rendered the keys are left as they are (validation reports the template problem at `flow.workspace.root`).
 * @throws whatever the provider throws (the plugin host normalises it to `PluginError`).
 */
export async function finalizeSnapshot(
  snapshot: Snapshot,
  options: FinalizeSnapshotOptions = {},
): Promise<Snapshot> {
  const out = new Map<string, string>(Object.entries(snapshot));
  if (options.secrets?.expandEnv) {
    const expanded = await options.secrets.expandEnv(Object.fromEntries(out));
    out.clear();
    for (const [k, v] of Object.entries(expanded)) out.set(k, valueToText(v));
  }
  let active: string | undefined;
  let cache: string | undefined;
  if (options.bundle) {
    active = options.bundle.activeDir;
    cache = options.bundle.cacheDir;
  } else if (options.workspaceRoot !== undefined) {
    try {
      const ctx = { env: Object.fromEntries(out) };
      active = cache = valueToText(renderString(options.workspaceRoot, ctx, { roots: PHASE_ROOTS.flow }));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
    }
  }
  if (active !== undefined && cache !== undefined) {
    out.set("AETHERFLOW_LOCAL_ROOT_DIR", active);
    out.set("AETHERFLOW_ACTIVE_DIR", active);
    out.set("AETHERFLOW_CACHE_DIR", cache);
  }
  return Object.freeze(Object.fromEntries(out));
}
