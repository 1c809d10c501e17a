// Runtime access for engine/config (STYLE: `Deno.*` stays in small private files). Sync on purpose:
// the snapshot is built once per command, before anything runs, and its API is synchronous.
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export type PathKind = "file" | "dir" | "other" | "missing";

export function envObject(): Record<string, string> {
  return Deno.env.toObject();
}

export function currentDir(): string {
  return Deno.cwd();
}

export function tempRoot(): string {
  return tmpdir();
}

/** Absolute path of `path` taken relative to `cwd` (absolute paths are kept, normalised). */
export function absolutePath(path: string, cwd: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

/** What `path` is, following symlinks like Python's `is_file()` / `is_dir()`. */
export function pathKind(path: string): PathKind {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? "file" : st.isDirectory ? "dir" : "other";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    throw err;
  }
}

const _UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Read a UTF-8 file strictly (invalid bytes throw); a leading BOM is dropped [ours]. */
export function readUtf8(path: string): string {
  return _UTF8.decode(Deno.readFileSync(path));
}

/** Names of the entries directly inside `dir`, sorted by name. */
export function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

export { join };
