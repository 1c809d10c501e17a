// Per-item lock for the systemd guard: an advisory flock on `<dir>/<unit base>.lock`, released when the
// process exits (even on SIGKILL), so a crashed run never leaves a stale lock behind.
//
// The lock decides whether a scheduled run happens, so nobody else may hold or redirect it (docs/scheduling.md
// "Item locks"): the directory is private (0700, owned by us; a too-open one of ours is tightened, anyone
// else's is refused), the file is created 0600 with O_NOFOLLOW (a planted symlink never makes us create or
// lock a file elsewhere), and the opened file must be the one in the directory (same device and inode).
import { closeSync, constants, openSync } from "node:fs";
import { join } from "node:path";
import { unitBaseName } from "../units.ts";

/** A lock directory or file that is not ours alone: refused rather than trusted. */
export class LockDirError extends Error {
  override name = "LockDirError";
}

export async function tryItemLock(dir: string, itemId: string): Promise<{ release(): void } | null> {
  ensurePrivateDir(dir);
  const path = join(dir, `${unitBaseName(itemId)}.lock`);
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
  } catch (err) {
    if ((err as { code?: string }).code === "ELOOP") {
      throw new LockDirError(`lock file ${path} is a symbolic link; refusing to follow it`);
    }
    throw err;
  }
  const file = await Deno.open(path, { read: true, write: true });
  try {
    const opened = await file.stat();
    const entry = Deno.lstatSync(path);
    if (!entry.isFile || entry.ino !== opened.ino || entry.dev !== opened.dev) {
      throw new LockDirError(`lock file ${path} was replaced while it was opened; refusing it`);
    }
    const uid = Deno.uid();
    if (uid !== null && opened.uid !== uid) {
      throw new LockDirError(
        `lock file ${path} is owned by uid ${opened.uid}, not by this user (uid ${uid})`,
      );
    }
  } catch (err) {
    file.close();
    throw err;
  }
  if (!(await file.tryLock(true))) {
    file.close();
    return null;
  }
  return {
    release() {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * Create `dir` (mode 0700) or check the existing one: a real directory (not a symlink) owned by this user. A
 * directory of ours that others can read or write is tightened to 0700.
 * @throws LockDirError when the directory belongs to someone else or is a symlink
 */
export function ensurePrivateDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  const st = Deno.lstatSync(dir);
  if (st.isSymlink) throw new LockDirError(`lock directory ${dir} is a symbolic link; refusing to use it`);
  if (!st.isDirectory) throw new Deno.errors.NotADirectory(`lock directory ${dir} is not a directory`);
  const uid = Deno.uid();
  if (uid !== null && st.uid !== uid) {
    throw new LockDirError(
      `lock directory ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}); ` +
        "give each unit user its own lock directory",
    );
  }
  if (st.mode !== null && (st.mode & 0o077) !== 0) Deno.chmodSync(dir, 0o700);
}

/**
 * Default lock dir: `$XDG_RUNTIME_DIR/aetherflow` (user units' `%t`), else `/run/aetherflow` for root (system
 * units' `%t`). Never a shared directory such as /tmp: anyone could pre-create it. Null when neither applies.
 */
export function defaultLockDir(): string | null {
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) return join(runtime, "aetherflow");
  return Deno.uid() === 0 ? "/run/aetherflow" : null;
}
