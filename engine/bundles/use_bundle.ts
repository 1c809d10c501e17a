/**
 * What `run`, `validate`, `doctor` and `explain` do with `--bundle-manifest` (docs/bundles.md "Running a
 * bundle"): sync once (stale fallback when asked), resolve `active` once to its version directory, wire the
 * snapshot (mode, env files, profiles file, plugin paths), the plugin pins and the archive allow-list, and pick
 * the entry flow inside that version, so validation and execution read the same bytes.
 * @module
 */
import { isAbsolute, join, normalize, resolve } from "node:path";
import { loadEnvFile } from "../config/env_files.ts";
import { type Snapshot, withSnapshotChanges } from "../config/snapshot.ts";
import { UsageError } from "../errors.ts";
import type { JsonObject } from "../types.ts";
import { realPath } from "./_fs.ts";
import { homeDir } from "./sources/home_dir.ts";
import { loadManifest } from "./load_manifest.ts";
import type { BundleManifest } from "./load_manifest.ts";
import { syncBundle, type SyncResult } from "./sync.ts";

/** A plugin pin from the manifest, its path resolved (the plugin loader's `ResolvedPin`). */
export interface ManifestPin {
  path: string;
  sha256: string;
  grants: Record<string, unknown>;
  run: "worker" | "foreground";
  source: string;
}

export interface UseBundleOptions {
  /** The manifest path as given (relative to `cwd`). */
  manifestPath: string;
  /** The base snapshot (OS env + `AETHERFLOW_ENV_FILES_JSON`). */
  snapshot: Snapshot;
  /** Absolute work root (settings `work_root`). */
  workRoot: string;
  allowStale?: boolean;
  /** The flow argument, if one was given: it must name the entry flow. */
  flowArg?: string;
  cwd: string;
  warn?: (message: string) => void;
  mask?: (text: string) => string;
}

/** A synced bundle ready to run. */
export interface UsedBundle {
  manifest: BundleManifest;
  sync: SyncResult;
  /** The resolved version directory (`active` read once). */
  activeDir: string;
  cacheDir: string;
  /** The entry flow inside `activeDir`. */
  flowPath: string;
  /** The snapshot with the manifest's wiring applied (before expand_env and engine keys). */
  snapshot: Snapshot;
  pins: ManifestPin[];
  archiveAllowList: string[];
  /** For the run record (`runs.bundle_json`). */
  record: JsonObject;
}

function _expand(path: string, base: string): string {
  const p = path === "~" || path.startsWith("~/") ? join(homeDir(), path.slice(1)) : path;
  return isAbsolute(p) ? normalize(p) : resolve(base, p);
}

/**
 * Sync and wire a bundle for a command.
 * @throws {UsageError} (exit 2) invalid manifest, missing manifest, a flow argument that is not the entry flow,
 * a bad env file; sync failures without a stale fallback are exit 1.
 */
export async function useBundle(options: UseBundleOptions): Promise<UsedBundle> {
  const manifest = await loadManifest(options.manifestPath);
  const sync = await syncBundle({
    manifest,
    snapshot: options.snapshot,
    workRoot: options.workRoot,
    allowStale: options.allowStale,
    warn: options.warn,
    mask: options.mask,
  });
  // Resolved once: a sync activating a newer version meanwhile does not change what this command reads.
  const activeDir = (await realPath(sync.active_dir)) ?? sync.versionDir;
  const entry = join(activeDir, manifest.bundle.entry_flow);
  if (options.flowArg !== undefined) {
    const given = isAbsolute(options.flowArg)
      ? normalize(options.flowArg)
      : resolve(activeDir, options.flowArg);
    const same = given === entry || (await realPath(given)) === entry;
    if (!same) {
      throw new UsageError(
        `flow ${options.flowArg} is not the bundle entry_flow ${manifest.bundle.entry_flow}`,
        {
          code: "bundle:entry_flow",
        },
      );
    }
  }
  const enterprise = manifest.mode === "enterprise";
  // Env files first, then the manifest's own keys: a file shipped in the bundle cannot change the mode.
  const changes: Record<string, string | undefined> = {};
  for (const spec of manifest.env_files) {
    Object.assign(changes, loadEnvFile(spec, { cwd: activeDir }) ?? {});
  }
  changes.AETHERFLOW_MODE = manifest.mode;
  changes.AETHERFLOW_MODE_ENTERPRISE = enterprise ? "true" : "false";
  changes.AETHERFLOW_PROFILES_FILE = join(activeDir, manifest.bundle.layout.profiles_file);
  // The work root the bundle was synced into, so flows (`workspace.root`) and plugin grants (`grants.dirs`) can
  // name it whether it came from the environment, a settings file or the default.
  changes.AETHERFLOW_WORK_ROOT = options.workRoot;
  if (enterprise) {
    changes.AETHERFLOW_STRICT_SANDBOX = undefined;
    const paths = manifest.paths.plugins.map((p) => _expand(p, manifest.dir));
    changes.AETHERFLOW_PLUGIN_PATHS = paths.length > 0 ? paths.join(",") : undefined;
  } else if (manifest.bundle.layout.plugins_dir !== undefined) {
    changes.AETHERFLOW_PLUGIN_PATHS = join(activeDir, manifest.bundle.layout.plugins_dir);
  }
  // Enterprise pins name operator files on `paths.plugins` (bundle code never runs): relative to the manifest.
  const pinBase = enterprise ? manifest.dir : activeDir;
  const pins: ManifestPin[] = manifest.plugins.map((p) => ({
    path: _expand(p.path, pinBase),
    sha256: p.sha256,
    grants: (p.grants ?? {}) as Record<string, unknown>,
    run: p.run ?? "worker",
    source: manifest.path,
  }));
  const record: JsonObject = {
    bundle_id: manifest.bundle.id,
    fingerprint: sync.fingerprint,
    source_type: manifest.bundle.source.type,
  };
  if (sync.source.commit !== undefined) record.commit = sync.source.commit;
  if (sync.stale) record.stale = true;
  return {
    manifest,
    sync,
    activeDir,
    cacheDir: sync.cache_dir,
    flowPath: entry,
    snapshot: withSnapshotChanges(options.snapshot, changes),
    pins,
    archiveAllowList: manifest.zip_drivers,
    record,
  };
}
