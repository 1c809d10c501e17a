// `external.process` success checks and atomic output dirs (docs/steps.md steps 1, 2, 6, 7). Paths given here
// are already sandbox-resolved and absolute.
import { basename, dirname, join } from "node:path";
import { fnmatchRegExp } from "../fnmatch.ts";

/** Resolved success-check paths. */
export interface ResolvedChecks {
  requireFiles: string[];
  /** Each glob split into its (resolved) directory and its last-component pattern. */
  requireGlob: { raw: string; dir: string; pattern: string }[];
  forbidFiles: string[];
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Split a glob into dir and last-component pattern (the glob applies to the last component only). */
export function splitGlob(glob: string): { dir: string; pattern: string } {
  return { dir: dirname(glob), pattern: basename(glob) };
}

async function _globHasMatch(dir: string, pattern: string): Promise<boolean> {
  const regexp = fnmatchRegExp(pattern);
  try {
    for await (const entry of Deno.readDir(dir)) if (regexp.test(entry.name)) return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return false;
    throw err;
  }
  return false;
}

/** docs/steps.md step 7: the first failing check as `<kind>:<path>`, or null when all pass. */
export async function firstFailedCheck(checks: ResolvedChecks): Promise<string | null> {
  for (const path of checks.requireFiles) if (!(await _exists(path))) return `missing_required_file:${path}`;
  for (const glob of checks.requireGlob) {
    if (!(await _globHasMatch(glob.dir, glob.pattern))) return `missing_required_glob:${glob.raw}`;
  }
  for (const path of checks.forbidFiles) if (await _exists(path)) return `forbidden_file_present:${path}`;
  return null;
}

/** docs/steps.md step 2: the temp dir starts empty, once per step run (not between retries). */
export async function resetTempDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await Deno.mkdir(dir, { recursive: true });
}

/**
 * docs/steps.md step 6, before the checks. With `atomicRename` the final dir is replaced by renaming temp onto it (final's
 * parent must exist); without it, final is created, temp entries are moved in (replacing same names), temp removed.
 */
export async function finalizeAtomicDir(
  temp: string,
  options: { finalDir: string; atomicRename: boolean },
): Promise<void> {
  const { finalDir } = options;
  if (options.atomicRename) {
    await Deno.remove(finalDir, { recursive: true }).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    await Deno.rename(temp, finalDir);
    return;
  }
  await Deno.mkdir(finalDir, { recursive: true });
  for await (const entry of Deno.readDir(temp)) {
    const target = join(finalDir, entry.name);
    if (await _exists(target)) await Deno.remove(target, { recursive: true });
    await Deno.rename(join(temp, entry.name), target);
  }
  await Deno.remove(temp, { recursive: true });
}
