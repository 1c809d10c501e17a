// The runner's view of this host's processes (docs/state.md "Process groups"): Linux procfs reads and group
// signals, the only Deno.* process calls of engine/runner (STYLE: runtime globals behind small private files).
import { procStatFields, readProcStatFields } from "../proc_stat.ts";

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcStat {
  pid: number;
  /** Field 3: `R`, `S`, `D`, `Z` (zombie: exited, not yet reaped) … */
  state: string;
  /** Field 5. */
  pgrp: number;
  /** Field 22: clock ticks after boot when the process started; with the pid, it names one process. */
  startTicks: number;
}

/** Parse one `/proc/<pid>/stat` line (engine/proc_stat.ts). Null when the text does not parse. */
export function parseProcStat(pid: number, text: string): ProcStat | null {
  return _fromFields(pid, procStatFields(text));
}

/** The stat of `pid`, or null when there is no such process (or no procfs). */
export function readProcStat(pid: number): ProcStat | null {
  return _fromFields(pid, readProcStatFields(pid));
}

function _fromFields(pid: number, rest: string[] | null): ProcStat | null {
  if (rest === null) return null;
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const pgrp = Number(rest[2]);
  const startTicks = Number(rest[19]);
  const state = rest[0] ?? "";
  if (state === "" || !Number.isSafeInteger(pgrp) || !Number.isSafeInteger(startTicks)) return null;
  return { pid, state, pgrp, startTicks };
}

/** This boot's id (`/proc/sys/kernel/random/boot_id`), or null without procfs. */
export function bootId(): string | null {
  try {
    const id = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
    return id === "" ? null : id;
  } catch {
    return null;
  }
}

/** Every process of this host, as procfs lists them (empty without procfs). */
export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const stat = readProcStat(Number(entry.name));
      if (stat !== null) out.push(stat);
    }
  } catch {
    // no procfs
  }
  return out;
}

/** Send `signal` to every process of group `pgid` (`kill(-pgid)`); false when the group is gone. Never throws. */
export function signalProcessGroup(pgid: number, signal: Deno.Signal): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false;
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
