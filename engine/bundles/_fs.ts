// File-system effects of bundle sync (Deno.* stays in small private files). Writes that others rely on are
// made durable (fsync) and atomic (temporary sibling + rename), so a crash never leaves a half-written file.
import { dirname, join } from "node:path";

export async function ensureDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
}

/** `path`'s target when it resolves (a dangling link or a missing path -> undefined). */
export async function realPath(path: string): Promise<string | undefined> {
  try {
    return await Deno.realPath(path);
  } catch {
    return undefined;
  }
}

/** Whether `path` resolves to a directory (following links). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** What `lstat` says: link, dir, file, other or missing. */
export async function entryKind(path: string): Promise<"link" | "dir" | "file" | "other" | "missing"> {
  try {
    const st = await Deno.lstat(path);
    return st.isSymlink ? "link" : st.isDirectory ? "dir" : st.isFile ? "file" : "other";
  } catch {
    return "missing";
  }
}

export async function readBytes(path: string): Promise<Uint8Array> {
  return await Deno.readFile(path);
}

/** Parsed JSON of `path`, or undefined when it is missing or unreadable. */
export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export async function syncDir(path: string): Promise<void> {
  try {
    const f = await Deno.open(path, { read: true });
    try {
      await f.sync();
    } finally {
      f.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}

/** Write `data` to `path` durably: to a temporary sibling, fsync, then rename over `path`. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    await writeFileDurable(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Write a new file and fsync it (content only: the mode is the default one). */
export async function writeFileDurable(path: string, bytes: Uint8Array): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let rest = bytes;
    while (rest.length > 0) rest = rest.subarray(await f.write(rest));
    await f.syncData();
  } finally {
    f.close();
  }
}

export async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

export async function removeFile(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

export async function rename(from: string, to: string): Promise<void> {
  await Deno.rename(from, to);
}

/** Replace `link` with a symlink to `target` atomically: create `tmpLink`, then rename it over `link`. */
export async function swapSymlink(options: { link: string; tmpLink: string; target: string }): Promise<void> {
  await Deno.remove(options.tmpLink).catch(() => {});
  await Deno.symlink(options.target, options.tmpLink);
  await Deno.rename(options.tmpLink, options.link);
  await syncDir(dirname(options.link));
}

/** Names directly inside `dir` (missing dir -> []). */
export async function listNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** An exclusive advisory lock (flock) on `path`, waiting for it; the kernel drops it if the process dies. */
export async function lockFile(path: string): Promise<{ release(): void }> {
  const file = await Deno.open(path, { create: true, write: true });
  try {
    await file.lock(true);
  } catch (err) {
    file.close();
    throw err;
  }
  return {
    release() {
      try {
        file.unlockSync();
      } catch {
        // Closing the descriptor drops the lock anyway.
      }
      file.close();
    },
  };
}

export function randomName(prefix: string): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}
