/**
 * `bundle status` (docs/bundles.md "Status"): read-only — no lock, no network, no directories created.
 * @module
 */
import { readJson } from "./_fs.ts";
import { resolveActive } from "./activate.ts";
import { bundleLayout } from "./layout.ts";
import type { BundleManifest } from "./load_manifest.ts";

/** `bundle status --json`, in this key order. */
export interface BundleStatus {
  bundle_manifest: string;
  bundle_id: string;
  work_root: string;
  bundle_root: string;
  active_dir: string;
  cache_dir: string;
  fingerprints_dir: string;
  fingerprint: string | null;
  has_active: boolean;
}

/** The state of one bundle under `workRoot`. */
export async function bundleStatus(manifest: BundleManifest, workRoot: string): Promise<BundleStatus> {
  const layout = bundleLayout(workRoot, manifest.bundle.id);
  const latest = await readJson(layout.latest) as { fingerprint?: unknown } | undefined;
  const fp = typeof latest?.fingerprint === "string" && latest.fingerprint !== "" ? latest.fingerprint : null;
  return {
    bundle_manifest: manifest.file,
    bundle_id: manifest.bundle.id,
    work_root: workRoot,
    bundle_root: layout.root,
    active_dir: layout.active,
    cache_dir: layout.cache,
    fingerprints_dir: layout.fingerprints,
    fingerprint: fp,
    has_active: (await resolveActive(layout)) !== undefined,
  };
}
