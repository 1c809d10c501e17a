// Where log lines go: stderr, with journald priority prefixes when stderr is the journal
// (docs/observability.md "journald").
import { isJournalStream, type LogLevel, withPriorityPrefix } from "../engine/observe/mod.ts";

const _enc = new TextEncoder();

/** Write all of `text` to a sync writer (stdout/stderr). */
export function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = _enc.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/** Whether this process's stderr is connected to journald. */
export function stderrIsJournal(): boolean {
  const stream = Deno.env.get("JOURNAL_STREAM");
  if (stream === undefined) return false;
  let id: { dev: number; ino: number } | null = null;
  try {
    const st = Deno.statSync("/proc/self/fd/2");
    if (st.ino !== null) id = { dev: st.dev, ino: st.ino };
  } catch {
    id = null;
  }
  return isJournalStream(stream, id);
}

/** A `Logger` writer for stderr: one line per call, priority-prefixed under journald. */
export function stderrLineWriter(journal = stderrIsJournal()): (line: string, level: LogLevel) => void {
  return (line, level) =>
    writeAllSync(Deno.stderr, (journal ? withPriorityPrefix(line, level) : line) + "\n");
}
