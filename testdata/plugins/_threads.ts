/**
 * Measures whether a process still burns CPU (hostile-plugin tests: "no thread left spinning after its
 * timeout"). Linux /proc only. Two signals, both over the same window: the process's CPU time (utime+stime, in
 * cores), and the threads found runnable (`R`) in nearly every sample — a spinning thread stays runnable
 * however loaded the machine is, where its CPU share would shrink.
 * @module
 */

export interface ThreadActivity {
  /** CPU the whole process used over the window, in cores (1 = one core busy all the time). */
  cpuCores: number;
  /** Threads runnable in ≥ 80% of the samples, without the sampling thread (`exclude`), as `tid:name`. */
  busyThreads: string[];
  samples: number;
}

const _TICKS_PER_SECOND = 100;

function _stat(path: string): string[] | null {
  try {
    const text = Deno.readTextFileSync(path);
    // The command name (field 2) may contain spaces and parentheses: split after its closing parenthesis.
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function _cpuTicks(pid: number): number {
  const f = _stat(`/proc/${pid}/stat`);
  return f ? Number(f[11]) + Number(f[12]) : 0; // utime, stime (fields 14, 15)
}

/** Sample `pid`'s threads every `intervalMs` for `windowMs`. */
export async function threadActivity(
  pid: number,
  options: { windowMs?: number; intervalMs?: number; exclude?: readonly number[] } = {},
): Promise<ThreadActivity> {
  const windowMs = options.windowMs ?? 1500;
  const intervalMs = options.intervalMs ?? 50;
  const runnable = new Map<number, number>();
  const t0 = performance.now();
  const ticks0 = _cpuTicks(pid);
  let samples = 0;
  while (performance.now() - t0 < windowMs) {
    samples++;
    for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
      const tid = Number(e.name);
      if (options.exclude?.includes(tid)) continue;
      if (_stat(`/proc/${pid}/task/${tid}/stat`)?.[0] === "R") {
        runnable.set(tid, (runnable.get(tid) ?? 0) + 1);
      }
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuCores = (_cpuTicks(pid) - ticks0) / _TICKS_PER_SECOND / seconds;
  const busyThreads = [...runnable].filter(([, n]) => n >= samples * 0.8).map(([tid]) => {
    const name = (() => {
      try {
        return Deno.readTextFileSync(`/proc/${pid}/task/${tid}/comm`).trim();
      } catch {
        return "?";
      }
    })();
    return `${tid}:${name}`;
  });
  return { cpuCores, busyThreads, samples };
}
