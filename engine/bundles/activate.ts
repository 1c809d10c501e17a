/**
 * Atomic activation (docs/bundles.md "Activation"): `active` is a symlink to `versions/<name>`, replaced by
 * renaming a fresh link over it, so at every instant `active` resolves to a complete version. Version
 * directories appear by renaming a finished staging directory and disappear by being renamed away first,
 * so a version directory is never seen half-written or half-deleted.
 * @module
 */
import { basename, join } from "node:path";
import {
  entryKind,
  exists,
  listNames,
  randomName,
  realPath,
  removeFile,
  removeTree,
  rename,
  swapSymlink,
  syncDir,
} from "./_fs.ts";
import type { BundleLayout } from "./layout.ts";
import type { FetchPolicy } from "./manifest_model.ts";

/** The version directory `active` resolves to, or undefined when it does not resolve to a directory. */
export async function resolveActive(layout: BundleLayout): Promise<string | undefined> {
  const target = await realPath(layout.active);
  if (target === undefined) return undefined;
  try {
    return (await Deno.stat(target)).isDirectory ? target : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The fingerprint a version directory was staged for: its name without the `.<n>` of `fetch_policy: always`
 * (`legacy_…` for a migrated upstream directory, which matches no fingerprint).
 */
export function versionFingerprint(versionDir: string): string {
  return basename(versionDir).replace(/\.\d+$/, "");
}

/**
 * Undo what an interrupted sync left behind (the caller holds the sync lock): staging and trash directories,
 * a stray `active.new`; an upstream-style `active/` directory becomes a version.
 */
export async function recoverBundleRoot(layout: BundleLayout): Promise<void> {
  for (const name of await listNames(layout.staged)) await removeTree(join(layout.staged, name));
  await removeFile(layout.activeNew);
  if ((await entryKind(layout.active)) === "dir") {
    // One-time migration of the old layout (a plain directory swapped by two renames). There is a short
    // moment without `active` here, once, the first time a new binary syncs an old bundle root.
    const name = randomName("legacy_");
    await rename(layout.active, join(layout.versions, name));
    await swapSymlink({ link: layout.active, tmpLink: layout.activeNew, target: `versions/${name}` });
  }
}

/**
 * Move the finished staging directory to `versions/<fingerprint>` and point `active` at it.
 * With `cache_check` an existing same-named version (complete by construction) is reused; with `always` a
 * fresh copy goes to `versions/<fingerprint>.<n>` so the old one stays usable until the switch.
 * Versions other than the new and the previous active one are removed afterwards.
 * @returns the version directory's name under `versions/`
 */
export async function activateVersion(
  layout: BundleLayout,
  options: { fingerprint: string; stagedDir: string; fetchPolicy: FetchPolicy },
): Promise<string> {
  const { fingerprint, stagedDir } = options;
  let name = fingerprint;
  if (await exists(join(layout.versions, name))) {
    if (options.fetchPolicy === "always") {
      for (let n = 2; await exists(join(layout.versions, name)); n++) name = `${fingerprint}.${n}`;
      await rename(stagedDir, join(layout.versions, name));
    } else {
      await removeTree(stagedDir);
    }
  } else {
    await rename(stagedDir, join(layout.versions, name));
  }
  await syncDir(layout.versions);
  const previous = await resolveActive(layout);
  await swapSymlink({ link: layout.active, tmpLink: layout.activeNew, target: `versions/${name}` });
  const keep = new Set([name, previous === undefined ? "" : basename(previous)]);
  for (const old of await listNames(layout.versions)) {
    if (keep.has(old)) continue;
    // Renamed away first: a crash mid-delete leaves debris in staged/ (cleared next sync), never a partial version.
    const trash = join(layout.staged, randomName("trash_"));
    await rename(join(layout.versions, old), trash);
    await removeTree(trash);
  }
  return name;
}
