/**
 * Logs per run (docs/observability.md "Run log"): every record of a run, masked, as JSON lines in a file kept
 * beside the state database (`<state>.logs/<run_id>.jsonl`), appended by each invocation, bounded, and removed
 * with the run by `runs prune`.
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { LogRecord } from "./logger.ts";
import { openAppend, readFrom, removeFile, writeAll } from "./_run_log_io.ts";

/** A run log stops growing at this size (one truncation line, then only `run_summary` lines). */
export const RUN_LOG_MAX_BYTES = 16 * 1024 * 1024;

/** The run log file of `runId` for the state database `statePath`; null for an in-memory database. */
export function runLogPath(statePath: string, runId: string): string | null {
  if (statePath === ":memory:") return null;
  return join(dirname(statePath), `${basename(statePath)}.logs`, `${encodeURIComponent(runId)}.jsonl`);
}

/** Appends records of one invocation to a run log file. */
export class RunLogWriter {
  readonly path: string;
  readonly #file: ReturnType<typeof openAppend>["file"];
  readonly #max: number;
  #size: number;
  #truncated = false;
  #closed = false;

  /** Open (append, create) the file. Throws when it cannot be opened: the caller decides whether that matters. */
  constructor(path: string, options: { maxBytes?: number } = {}) {
    this.path = path;
    const { file, size } = openAppend(path, dirname(path));
    this.#file = file;
    this.#size = size;
    this.#max = options.maxBytes ?? RUN_LOG_MAX_BYTES;
    this.#truncated = size >= this.#max;
  }

  /** A record sink for `Logger.addRecordSink`. Write errors are swallowed: a full disk must not fail the run. */
  readonly sink = (record: LogRecord): void => {
    if (this.#closed) return;
    try {
      this.#append(record);
    } catch {
      // The console still has the line; the run log is a convenience copy.
    }
  };

  #append(record: LogRecord): void {
    const line = new TextEncoder().encode(JSON.stringify(record) + "\n");
    if (this.#size + line.length > this.#max && !this.#truncated) {
      this.#truncated = true;
      const note = {
        ts_ms: record.ts_ms,
        ts: record.ts,
        level: "WARNING",
        logger: "aetherflow",
        message: `Run log truncated at ${this.#max} bytes: later lines are only on the console`,
        ...(typeof record.run_id === "string" ? { run_id: record.run_id } : {}),
      };
      this.#write(new TextEncoder().encode(JSON.stringify(note) + "\n"));
    }
    // Past the bound only the summary is kept, so `runs logs` still ends with how the run ended.
    if (this.#truncated && record.event !== "run_summary") return;
    this.#write(line);
  }

  #write(bytes: Uint8Array): void {
    writeAll(this.#file, bytes);
    this.#size += bytes.length;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A reader position in a run log file: read what was appended since the last call. */
export class RunLogReader {
  readonly path: string;
  #offset = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The complete lines appended since the last call, parsed (a line that is not a JSON object is returned
   * as a message record so nothing is silently lost). Null when the file does not exist.
   */
  async next(): Promise<LogRecord[] | null> {
    const bytes = await readFrom(this.path, this.#offset);
    if (bytes === null) return null;
    // Only complete lines are consumed: a line being written is read whole on a later call.
    const end = bytes.lastIndexOf(0x0a) + 1;
    this.#offset += end;
    const text = new TextDecoder().decode(bytes.subarray(0, end));
    return text.split("\n").filter((l) => l.trim() !== "").map(_parseLine);
  }
}

function _parseLine(line: string): LogRecord {
  try {
    const v: unknown = JSON.parse(line);
    if (v !== null && typeof v === "object" && !Array.isArray(v) && "ts_ms" in v) return v as LogRecord;
  } catch {
    // fall through
  }
  return { ts_ms: 0, ts: new Date(0).toISOString(), level: "INFO", logger: "aetherflow", message: line };
}

/** Delete a run's log file (prune); a missing file is fine. */
export async function removeRunLog(path: string): Promise<boolean> {
  return await removeFile(path);
}
