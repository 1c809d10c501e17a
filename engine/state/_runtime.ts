// The only file of engine/state that touches Deno.* (STYLE: runtime globals behind small private files).
import { readProcStatFields } from "../proc_stat.ts";

/** This host's id, as recorded with each lock (D15): `AETHERFLOW_HOST_ID`, else the host name. */
export function hostName(): string {
  try {
    const id = (Deno.env.get("AETHERFLOW_HOST_ID") ?? "").trim();
    if (id !== "") return id;
  } catch {
    // no env permission: the host name
  }
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** This process id, as recorded with each lock and run record (D15). */
export function processId(): number {
  return Deno.pid;
}

/** `mkdir -p` (docs/state.md: parent directories are created on open). */
export function makeDirs(path: string): void {
  Deno.mkdirSync(path, { recursive: true });
}

/** Whether `path` exists (any kind). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The identity of the file at `path` (device and inode), or null when there is none. */
export function fileIdentity(path: string): string | null {
  try {
    const info = Deno.statSync(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return null;
  }
}

/**
 * Whether process `pid` exists on this host (`kill(pid, 0)`): ESRCH means gone; EPERM (another user's
 * process) means alive. A zombie (killed, not yet reaped by its parent) counts as gone.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    // Signal 0 checks existence and permission without sending anything.
    Deno.kill(pid, 0 as unknown as Deno.Signal);
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound);
  }
  // No stat (no procfs, not Linux): kill(pid, 0) succeeded, so alive.
  const stat = readProcStatFields(pid);
  return stat === null || stat[0] !== "Z";
}

/** Let the process exit even while `timer` is pending (run-lease renewal). */
export function unrefTimer(timer: ReturnType<typeof setInterval>): void {
  // Deno 2 returns a Node-style Timeout object (with unref) when Node types are in scope, else a number.
  const t = timer as unknown as { unref?: () => unknown };
  if (typeof t === "object" && typeof t.unref === "function") t.unref();
  else Deno.unrefTimer(timer as unknown as number);
}
