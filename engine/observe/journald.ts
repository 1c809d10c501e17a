/**
 * journald priorities (docs/observability.md "journald"): when stderr is the journal, each line starts with
 * `<N>` (sd-daemon(3)) so `journalctl -p err` filters by level.
 * @module
 */
import type { LogLevel } from "./logger.ts";

const _PRIORITY: Readonly<Record<LogLevel, number>> = { DEBUG: 7, INFO: 6, WARNING: 4, ERROR: 3 };

/** The syslog priority of a level: DEBUG 7, INFO 6, WARNING 4, ERROR 3. */
export function syslogPriority(level: LogLevel): number {
  return _PRIORITY[level];
}

/** `<N>` before every line of `text` (a multi-line message keeps its level on each journal entry). */
export function withPriorityPrefix(text: string, level: LogLevel): string {
  const prefix = `<${syslogPriority(level)}>`;
  return text.split("\n").map((l) => prefix + l).join("\n");
}

/**
 * Whether stderr is the journal: `JOURNAL_STREAM` is `<dev>:<inode>` of the stream systemd connected
 * (systemd.exec(5)); it must match stderr's, else stderr was redirected (to a file, a pipe) and the variable
 * was merely inherited. `stderrId` is stderr's `{dev, ino}`, or null when it cannot be read (then the
 * variable alone decides).
 */
export function isJournalStream(
  journalStream: string | undefined,
  stderrId: { dev: number; ino: number } | null,
): boolean {
  const m = /^(\d+):(\d+)$/.exec((journalStream ?? "").trim());
  if (m === null) return false;
  if (stderrId === null) return true;
  return Number(m[1]) === stderrId.dev && Number(m[2]) === stderrId.ino;
}
