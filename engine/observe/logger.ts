/**
 * The run logger: one line per record on an injected writer (stderr in the CLI), text or JSON (core.md §8.1).
 * Every line goes through the injected mask function first, so no caller can leak a secret [D18].
 * @module
 */
import type { JsonValue } from "../types.ts";

/** Log levels in increasing severity (names as printed). */
export const LOG_LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;
export type LogFormat = "text" | "json";

/** Ordered event fields: JS keeps string-key insertion order, which is the contract order of §8.2. */
export type EventFields = Readonly<Record<string, JsonValue>>;

/** Called for every event, whatever the level (live progress, metrics sinks), after its line is written. */
export type EventListener = (name: string, fields: EventFields) => void;

export interface LoggerOptions {
  /** `text` (default) or `json` (§8.1). */
  format?: LogFormat;
  /** Minimum level written (default INFO). */
  level?: LogLevel;
  /** Writes one finished line (without the trailing newline). */
  write: (line: string) => void;
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
}

export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly #write: (line: string) => void;
  readonly #mask: (text: string) => string;
  readonly #now: () => number;
  readonly #listeners: EventListener[] = [];

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

  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS[level] >= LOG_LEVELS[this.level];
  }

  /** Write a plain message for logger `name`. */
  log(level: LogLevel, name: string, message: string): void {
    if (!this.isEnabled(level)) return;
    const ts = this.#now();
    if (this.format === "json") {
      this.#emit(JSON.stringify(this.#maskDeep({ ts_ms: ts, level, logger: name, message })));
    } else {
      this.#emit(`${formatLocalTime(ts)} ${level} ${name} - ${message}`);
    }
  }

  /** Write an INFO event; `fields` are printed in their insertion order (§8.2). */
  event(name: string, event: string, fields: EventFields): void {
    if (this.isEnabled("INFO")) {
      const ts = this.#now();
      if (this.format === "json") {
        this.#emit(JSON.stringify(this.#maskDeep({ ts_ms: ts, event, ...fields })));
      } else {
        let text = event;
        for (const [k, v] of Object.entries(fields)) text += ` ${k}=${renderFieldValue(v)}`;
        this.#emit(`${formatLocalTime(ts)} INFO ${name} - ${text}`);
      }
    }
    // Listeners run after the line, so a final summary table prints below the `run_summary` line.
    for (const listener of this.#listeners) listener(event, fields);
  }

  /** A logger bound to one name. */
  child(name: string): NamedLogger {
    return {
      name,
      debug: (msg) => this.log("DEBUG", name, msg),
      info: (msg) => this.log("INFO", name, msg),
      warn: (msg) => this.log("WARNING", name, msg),
      error: (msg) => this.log("ERROR", name, msg),
    };
  }

  #emit(line: string): void {
    this.#write(this.#mask(line));
  }

  // JSON lines: mask string leaves before serialising so an escaped secret (quotes, backslashes) is still caught.
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

/** Event values in text lines: strings as is, everything else compact JSON [D17]. */
export function renderFieldValue(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time (§8.1). */
export function formatLocalTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${_pad(d.getMonth() + 1)}-${_pad(d.getDate())} ` +
    `${_pad(d.getHours())}:${_pad(d.getMinutes())}:${_pad(d.getSeconds())}.${_pad(d.getMilliseconds(), 3)}`;
}

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Parse a settings level; unknown values fall back to INFO (core.md §7.4). */
export function parseLogLevel(value: string | undefined): LogLevel {
  const up = (value ?? "").trim().toUpperCase();
  if (up === "WARN") return "WARNING";
  return up in LOG_LEVELS ? up as LogLevel : "INFO";
}
