// What a plugin may write to the engine's log (docs/plugin-security.md "Limits"): every line it logs — through
// `af_log` or Extism's own `log_*` kernel functions — passes here. Control characters are escaped, so a plugin
// cannot forge log lines in text format; lines and bytes are capped per call and per run, with one warning when
// a cap is hit.
import type { PluginLogLevel } from "./call_scope.ts";

/** The caps (per plugin; "run" = the plugin's lifetime in one aetherflow process). */
export const LOG_LIMITS = {
  lineBytes: 8 * 1024,
  callLines: 1_000,
  callBytes: 256 * 1024,
  runLines: 10_000,
  runBytes: 4 * 1024 * 1024,
} as const;

// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
// deno-lint-ignore no-control-regex
const _CONTROL_REGEXP = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text` with control characters written as escapes (`\n`, `\u001b`); tabs are kept. C0 controls are escaped
 * as JSON escapes them, so the masker's JSON-escaped form of a secret still matches.
 */
export function escapeControl(text: string): string {
  return text.replace(_CONTROL_REGEXP, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? JSON.stringify(c).slice(1, -1) : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

export class PluginLogGate {
  readonly #label: () => string;
  #callLines = 0;
  #callBytes = 0;
  #runLines = 0;
  #runBytes = 0;
  #callWarned = false;
  #runWarned = false;

  constructor(label: () => string) {
    this.#label = label;
  }

  /** A new call starts: its own caps start from zero. */
  beginCall(): void {
    this.#callLines = 0;
    this.#callBytes = 0;
    this.#callWarned = false;
  }

  /** Pass `message` to `sink` (escaped, cut at `lineBytes`) unless a cap is reached. */
  admit(
    level: PluginLogLevel,
    message: string,
    sink: (level: PluginLogLevel, message: string) => void,
  ): void {
    if (this.#runLines >= LOG_LIMITS.runLines || this.#runBytes >= LOG_LIMITS.runBytes) {
      if (!this.#runWarned) {
        this.#runWarned = true;
        sink(
          "warn",
          `Plugin ${this.#label()} reached its log cap of ${LOG_LIMITS.runLines} lines / ${LOG_LIMITS.runBytes} bytes per run; its further log lines are dropped`,
        );
      }
      return;
    }
    if (this.#callLines >= LOG_LIMITS.callLines || this.#callBytes >= LOG_LIMITS.callBytes) {
      if (!this.#callWarned) {
        this.#callWarned = true;
        sink(
          "warn",
          `Plugin ${this.#label()} reached its log cap of ${LOG_LIMITS.callLines} lines / ${LOG_LIMITS.callBytes} bytes per call; its further log lines in this call are dropped`,
        );
      }
      return;
    }
    let text = escapeControl(message);
    let bytes = new TextEncoder().encode(text).byteLength;
    if (bytes > LOG_LIMITS.lineBytes) {
      // Dropped whole, never cut: a cut could leave half a secret the masker no longer recognises.
      text =
        `Plugin ${this.#label()} logged a line of ${bytes} bytes, above the ${LOG_LIMITS.lineBytes}-byte line cap; dropped`;
      level = "warn";
      bytes = new TextEncoder().encode(text).byteLength;
    }
    this.#callLines++;
    this.#runLines++;
    this.#callBytes += bytes;
    this.#runBytes += bytes;
    sink(level, text);
  }
}
