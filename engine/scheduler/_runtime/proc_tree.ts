// Linux process-tree helpers for the final SIGKILL: a child's descendants may sit in other process groups
// (external.process runs its children under setsid, D16), so killing the group alone could orphan them.
import { readProcStatFields } from "../../proc_stat.ts";

/** Pids of every live descendant of `pid` (not `pid` itself), read from /proc. Empty when /proc is absent. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      // Field 4 is the ppid; null when the process exited while we were reading.
      const stat = readProcStatFields(Number(entry.name));
      if (stat !== null) parentOf.set(Number(entry.name), Number(stat[1]));
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const [child, parent] of parentOf) {
      if (parent === p && !out.includes(child)) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** Send `signal` to `pid`, ignoring "no such process". */
export function signalPid(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}
