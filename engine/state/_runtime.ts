// The only file of engine/state that touches Deno.* (STYLE: runtime globals behind small private files).

/** This machine's host name, as recorded with each lock (D15). */
export function hostName(): string {
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

/** `mkdir -p` (core.md §6.1: parent directories are created on open). */
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
