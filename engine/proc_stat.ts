// Linux `/proc/<pid>/stat`, read in one place for the runner (process groups), the state (owner liveness) and the
// scheduler (process trees).

/**
 * The fields of a `/proc/<pid>/stat` line from field 3 (the state) on: index 0 is field 3, so field N is at
 * N - 3. The command name (field 2) is in parentheses and may hold spaces or parentheses itself, so fields are
 * counted after the last `)`. Null when the text has no command name.
 */
export function procStatFields(text: string): string[] | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  return text.slice(close + 2).trim().split(" ");
}

/** `procStatFields` of process `pid`, or null when there is no such process (or no procfs). */
export function readProcStatFields(pid: number): string[] | null {
  try {
    return procStatFields(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}
