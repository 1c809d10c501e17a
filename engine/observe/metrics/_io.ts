// Runtime access for the metrics sinks (STYLE: `Deno.*` stays in small private files).
import { basename, dirname, join } from "node:path";

/** The file's text, or `""` when it does not exist. */
export async function readTextIfExists(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

/**
 * Replace `path` atomically: write a temp file in the same directory (same filesystem, and node_exporter reads
 * only `*.prom`, so it never sees the temp name), then rename it over the target.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16);
  const tmp = join(dirname(path), `.${basename(path)}.${Deno.pid}.${rand}.tmp`);
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o644 });
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Run `fn` holding an exclusive advisory lock on `<path>.lock`, so two runs sharing one textfile do not lose each
 * other's read-merge-write.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  using file = await Deno.open(`${path}.lock`, { create: true, write: true });
  await file.lock(true);
  try {
    return await fn();
  } finally {
    await file.unlock().catch(() => {});
  }
}
