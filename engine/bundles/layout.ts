/**
 * Where a bundle lives under the work root (docs/bundles.md "On-disk layout").
 * @module
 */
import { join } from "node:path";

/** Every path of one bundle root. */
export interface BundleLayout {
  workRoot: string;
  root: string;
  /** The stable `active` symlink (reported by `bundle sync`/`status`). */
  active: string;
  /** `active.new`: the link being swapped in. */
  activeNew: string;
  versions: string;
  staged: string;
  cache: string;
  fingerprints: string;
  latest: string;
  lastError: string;
  lock: string;
  git: string;
}

/** The layout of bundle `id` under `workRoot` (absolute). */
export function bundleLayout(workRoot: string, id: string): BundleLayout {
  const root = join(workRoot, "bundles", id);
  return {
    workRoot,
    root,
    active: join(root, "active"),
    activeNew: join(root, "active.new"),
    versions: join(root, "versions"),
    staged: join(root, "staged"),
    cache: join(root, "cache"),
    fingerprints: join(root, "fingerprints"),
    latest: join(root, "fingerprints", "latest.json"),
    lastError: join(root, "last_error.json"),
    lock: join(root, "sync.lock"),
    git: join(root, "git"),
  };
}
