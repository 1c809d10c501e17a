/**
 * The run logger: one line per record on an injected writer (stderr in the CLI), text or JSON (docs/observability.md).
 * Every line goes through the injected mask function first, so no caller can leak a secret [D18].
 * @module
 */
import type { JsonValue } from "../types.ts";

/** Log levels in increasing severity (names as printed). */
export const LOG_LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;
export type LogFormat = "text" | "json";

/** Ordered event fields: JS keeps string-key insertion order, which is the contract order of docs/observability.md. */
export type EventFields = Readonly<Record<string, JsonValue>>;

/** Called for every event, whatever the level (live progress, metrics sinks), after its line is written. */
export type EventListener = (name: string, fields: EventFields) => void;

/**
 * One log record as JSON lines carry it (docs/cli.md "JSON output"): `ts_ms` (epoch ms), `ts` (ISO 8601 UTC
 * with ms), `level`, `logger`, then `event` and its fields, or `message` and its context fields (`run_id`,
 * `job_id`, `step_id`, …). Already masked when a sink receives it.
 */
export type LogRecord = Readonly<Record<string, JsonValue>> & {
  readonly ts_ms: number;
  readonly ts: string;
  readonly level: LogLevel;
  readonly logger: string;
};

/** Receives every record at or above its level (the run log file, a test). */
export type RecordSink = (record: LogRecord) => void;

export interface LoggerOptions {
  /** `text` (default) or `json` (docs/observability.md). */
  format?: LogFormat;
  /** Minimum level written (default INFO). */
  level?: LogLevel;
  /** Writes one finished line (without the trailing newline); `level` lets the caller prefix a priority. */
  write: (line: string, level: LogLevel) => void;
  /** Masks secrets in a piece of text [D18]; identity when omitted. */
  mask?: (text: string) => string;
  /** Wall clock in epoch ms (injected for tests). */
  now?: () => number;
}

/** A named logger handed to jobs and steps (matches the StepLogger contract). */
export interface NamedLogger {
  readonly name: string;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** The same logger with more context fields on every JSON line (`step_id` for a step's messages). */
  with(fields: EventFields): NamedLogger;
}

export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly #write: (line: string, level: LogLevel) => void;
  readonly #mask: (text: string) => string;
  readonly #now: () => number;
  readonly #listeners: EventListener[] = [];
  readonly #sinks: { sink: RecordSink; level: LogLevel }[] = [];
  /** While held: what would have been written or dispatched, in order (see `hold`). */
  #held: (() => void)[] | null = null;

  constructor(options: LoggerOptions) {
    this.format = options.format ?? "text";
    this.level = options.level ?? "INFO";
    this.#write = options.write;
    this.#mask = options.mask ?? ((t) => t);
    this.#now = options.now ?? Date.now;
  }

  /** Subscribe to every event (whatever the level). */
  onEvent(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  /** Also hand every record at or above `level` (default: the logger's level) to `sink`, masked. */
  addRecordSink(sink: RecordSink, level: LogLevel = this.level): void {
    this.#sinks.push({ sink, level });
  }

  /** Remove a sink added with `addRecordSink`. */
  removeRecordSink(sink: RecordSink): void {
    const i = this.#sinks.findIndex((s) => s.sink === sink);
    if (i >= 0) this.#sinks.splice(i, 1);
  }

  /**
   * Keep every line, record and event from now on (stamped now, delivered later) until `release`: the runner
   * holds the reports of steps whose rows are not yet durable (docs/state.md "Recording steps").
   */
  hold(): void {
    this.#held ??= [];
  }

  /** Whether `hold` is in effect. */
  get holding(): boolean {
    return this.#held !== null;
  }

  /** Deliver what was held, in order (or drop it: what it reports was not recorded), and stop holding. */
  release(options: { drop?: boolean } = {}): void {
    const held = this.#held;
    this.#held = null;
    if (held === null || options.drop) return;
    for (const deliver of held) deliver();
  }

  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS[level] >= LOG_LEVELS[this.level];
  }

  /** Write a plain message for logger `name`; `fields` (run_id, job_id, …) go on JSON lines as fields. */
  log(level: LogLevel, name: string, message: string, fields: EventFields = {}): void {
    if (!this.#wanted(level)) return;
    const ts = this.#now();
    const record = this.#record({ ...this.#head(ts, level, name), message, ...fields });
    this.#dispatch(record, level, () => `${formatLocalTime(ts)} ${level} ${name} - ${message}`);
  }

  /** Write an INFO event; `fields` are printed in their insertion order (docs/observability.md). */
  event(name: string, event: string, fields: EventFields): void {
    if (this.#wanted("INFO")) {
      const ts = this.#now();
      const record = this.#record({ ...this.#head(ts, "INFO", name), event, ...fields });
      this.#dispatch(record, "INFO", () => {
        let text = event;
        for (const [k, v] of Object.entries(fields)) text += ` ${k}=${renderFieldValue(v)}`;
        return `${formatLocalTime(ts)} INFO ${name} - ${text}`;
      });
    }
    // Listeners run after the line, so a final summary table prints below the `run_summary` line.
    const notify = () => {
      for (const listener of this.#listeners) listener(event, fields);
    };
    if (this.#held !== null) this.#held.push(notify);
    else notify();
  }

  /** A logger bound to one name, with context fields on every JSON line. */
  child(name: string, context: EventFields = {}): NamedLogger {
    return {
      name,
      debug: (msg) => this.log("DEBUG", name, msg, context),
      info: (msg) => this.log("INFO", name, msg, context),
      warn: (msg) => this.log("WARNING", name, msg, context),
      error: (msg) => this.log("ERROR", name, msg, context),
      with: (fields) => this.child(name, { ...context, ...fields }),
    };
  }

  #wanted(level: LogLevel): boolean {
    return this.isEnabled(level) || this.#sinks.some((s) => LOG_LEVELS[level] >= LOG_LEVELS[s.level]);
  }

  #head(ts: number, level: LogLevel, logger: string) {
    return { ts_ms: ts, ts: new Date(ts).toISOString(), level, logger };
  }

  // Masked once: string leaves before serialising, so an escaped secret (quotes, backslashes) is still caught.
  #record(raw: Record<string, JsonValue>): LogRecord {
    return this.#maskDeep(raw) as LogRecord;
  }

  #dispatch(record: LogRecord, level: LogLevel, text: () => string): void {
    if (this.#held !== null) {
      const line = this.isEnabled(level) ? text() : "";
      this.#held.push(() => this.#deliver(record, level, () => line));
      return;
    }
    this.#deliver(record, level, text);
  }

  #deliver(record: LogRecord, level: LogLevel, text: () => string): void {
    if (this.isEnabled(level)) {
      this.#write(this.#mask(this.format === "json" ? JSON.stringify(record) : text()), level);
    }
    for (const { sink, level: min } of this.#sinks) {
      if (LOG_LEVELS[level] >= LOG_LEVELS[min]) sink(record);
    }
  }

  #maskDeep(value: JsonValue): JsonValue {
    if (typeof value === "string") return this.#mask(value);
    if (Array.isArray(value)) return value.map((v) => this.#maskDeep(v));
    if (value && typeof value === "object") {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.#maskDeep(v);
      return out;
    }
    return value;
  }
}

const _HEAD_KEYS = new Set(["ts_ms", "ts", "level", "logger", "event", "message"]);

/**
 * A stored record (run log) as the console's text line: events as `<event> key=value …`, messages as the
 * message alone (context fields are for JSON readers).
 */
export function formatRecordText(record: LogRecord): string {
  const head = `${formatLocalTime(record.ts_ms)} ${record.level} ${record.logger} - `;
  if (typeof record.event === "string") {
    let text = record.event;
    for (const [k, v] of Object.entries(record)) {
      if (!_HEAD_KEYS.has(k)) text += ` ${k}=${renderFieldValue(v)}`;
    }
    return head + text;
  }
  return head + String(record.message ?? "");
}

/** Event values in text lines: strings as is, everything else compact JSON [D17]. */
export function renderFieldValue(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time (docs/observability.md). */
export function formatLocalTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${_pad(d.getMonth() + 1)}-${_pad(d.getDate())} ` +
    `${_pad(d.getHours())}:${_pad(d.getMinutes())}:${_pad(d.getSeconds())}.${_pad(d.getMilliseconds(), 3)}`;
}

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Parse a settings level; unknown values fall back to INFO (docs/configuration.md). */
export function parseLogLevel(value: string | undefined): LogLevel {
  const up = (value ?? "").trim().toUpperCase();
  if (up === "WARN") return "WARNING";
  return up in LOG_LEVELS ? up as LogLevel : "INFO";
}
