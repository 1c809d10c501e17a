// Per-item lock for the systemd guard: an advisory flock on `<dir>/<unit base>.lock`, released when the
// process exits (even on SIGKILL), so a crashed run never leaves a stale lock behind.
import { join } from "node:path";
import { unitBaseName } from "../units.ts";

export async function tryItemLock(dir: string, itemId: string): Promise<{ release(): void } | null> {
  await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.open(join(dir, `${unitBaseName(itemId)}.lock`), { create: true, write: true });
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

/** Default lock dir: `$XDG_RUNTIME_DIR/aetherflow`, else `<tmp>/aetherflow-locks`. */
export function defaultLockDir(): string {
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (runtime) return join(runtime, "aetherflow");
  return join(Deno.env.get("TMPDIR") || "/tmp", "aetherflow-locks");
}
