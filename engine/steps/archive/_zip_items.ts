// The files a `zip` step archives (docs/steps.md "zip"): paths, globs on the last path component, directories
// walked when recursive; every path through the sandbox, then de-duplicated, sorted and kept under src_dir.
import { basename, dirname, join, relative, sep } from "node:path";
import { StepError } from "../../errors.ts";
import { fnmatchRegExp } from "../../fnmatch.ts";
import type { StepPaths } from "../types.ts";

/** One item: a path, or a glob whose last component is a pattern. */
export type ZipItem = { path: string } | { glob: string };

async function _stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return null;
    throw err;
  }
}

/** Regular files below `dir` (symlinked directories are not entered: they could loop). */
async function _walk(dir: string, out: string[]): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) await _walk(path, out);
    else if (e.isFile || e.isSymlink) out.push(path);
  }
}

/** Resolve each item to candidate paths (not yet sandboxed one by one). */
async function _candidates(item: ZipItem, paths: StepPaths): Promise<string[]> {
  if ("path" in item) return [await paths.resolve(item.path)];
  const [dir, pattern] = [dirname(item.glob), basename(item.glob)];
  const base = await paths.resolve(dir);
  const regexp = fnmatchRegExp(pattern);
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(base)) if (regexp.test(e.name)) out.push(join(base, e.name));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) throw err;
  }
  return out;
}

/**
 * The sorted, de-duplicated regular files named by `items`, each sandbox-resolved. Missing paths are ignored;
 * directories give every file below them when `recursive`, nothing otherwise.
 * @throws {StepError} `zip input '<f>' is outside base_dir '<dir>'`, or a sandbox error.
 */
export async function collectZipFiles(
  items: readonly ZipItem[],
  options: { srcDir: string; recursive: boolean; paths: StepPaths },
): Promise<string[]> {
  const found = new Set<string>();
  for (const item of items) {
    for (const candidate of await _candidates(item, options.paths)) {
      const info = await _stat(candidate);
      if (info === null) continue;
      if (info.isFile) {
        found.add(await options.paths.resolve(candidate));
      } else if (info.isDirectory && options.recursive) {
        const below: string[] = [];
        await _walk(candidate, below);
        for (const f of below) {
          if ((await _stat(f))?.isFile) found.add(await options.paths.resolve(f));
        }
      }
    }
  }
  const files = [...found].sort();
  for (const f of files) {
    const rel = relative(options.srcDir, f);
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) {
      throw new StepError(`zip input '${f}' is outside base_dir '${options.srcDir}'`);
    }
  }
  return files;
}
