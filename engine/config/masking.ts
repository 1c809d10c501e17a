/**
 * Secret masking [D18] (docs/configuration.md): decoded values and values of secret-named snapshot keys become `***`
 * in every log line, event, state row, run record, error message and CLI output.
 * @module
 */
import type { Snapshot } from "./snapshot.ts";

export const MASK = "***";

const _SECRET_KEY_REGEXP = /PASSWORD|PASSWD|PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE/i;
const _NOT_SECRET_KEYS = new Set(["PWD", "OLDPWD"]);
// Shorter values would mask ordinary text ("1", "yes"), so they are masked only as that key's value.
const _MIN_FREE_LEN = 4;
// Flag-like values (`SECRET_ENABLED=true`) are not secrets, and masking them everywhere would corrupt JSON
// output (`"ok":***`), so they are treated like short values [ours].
const _FLAG_VALUES = new Set(["true", "false", "null", "none", "yes", "no"]);
const _LINE_BREAK_REGEXP = /\r\n|\r|\n/;

/** Whether a snapshot key's value is a secret by its name (docs/configuration.md). */
export function isSecretKey(key: string): boolean {
  return !_NOT_SECRET_KEYS.has(key.toUpperCase()) && _SECRET_KEY_REGEXP.test(key);
}

/**
 * Whether a value can be masked wherever it appears: at least 4 characters and not a flag word. Shorter values
 * (a password "abc") would turn ordinary text into `***`, so callers registering free-standing secrets skip them.
 */
export function isMaskableSecret(value: string): boolean {
  return value.length >= _MIN_FREE_LEN && !_FLAG_VALUES.has(value.toLowerCase());
}

function _escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Collects secret values and replaces every occurrence by `***`. */
export class Masker {
  #values = new Set<string>();
  #sorted: string[] | null = [];
  #short = new Map<string, string>();
  #shortPatterns: RegExp[] | null = [];

  /** Register a secret value (e.g. every `aetherflow_decode` result). Empty values are ignored. */
  add(value: string): void {
    if (value === "" || this.#values.has(value)) return;
    this.#values.add(value);
    // A value with quotes, backslashes or newlines appears escaped inside JSON text (events, --json output).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.#values.add(escaped);
    // Process output is logged line by line, so a multi-line secret (a PEM key) must be masked per line too.
    const lines = value.split(_LINE_BREAK_REGEXP);
    if (lines.length > 1) {
      for (const line of new Set([...lines, ...lines.map((l) => l.trim())])) {
        if (line.length >= _MIN_FREE_LEN && !_FLAG_VALUES.has(line.toLowerCase())) this.add(line);
      }
    }
    this.#sorted = null;
  }

  /**
   * Register the values of every secret-named key of the snapshot (docs/secrets.md "Masking"), and the password
   * of every credentialed URL in any value (`DATABASE_URL=postgresql://u:pw@h/db` is not secret-named, its
   * password is).
   */
  addFromSnapshot(snapshot: Snapshot): void {
    for (const value of Object.values(snapshot)) {
      for (const pw of urlPasswords(value)) if (pw.length >= _MIN_FREE_LEN) this.add(pw);
    }
    for (const [key, value] of Object.entries(snapshot)) {
      if (!isSecretKey(key) || value === "") continue;
      if (value.length >= _MIN_FREE_LEN && !_FLAG_VALUES.has(value.toLowerCase())) this.add(value);
      else {
        this.#short.set(key, value);
        this.#shortPatterns = null;
      }
    }
  }

  /** Whether any value is registered. */
  get size(): number {
    return this.#values.size + this.#short.size;
  }

  #longestFirst(): string[] {
    // Longest first, so a secret containing another secret is masked whole.
    this.#sorted ??= [...this.#values].sort((a, b) => b.length - a.length);
    return this.#sorted;
  }

  // mask() runs on every log line and state row, so the short-value patterns are compiled once per change.
  #shortValuePatterns(): RegExp[] {
    // `KEY=v`, `KEY: v`, `"KEY":"v"`: the short value only where printed as that key's value.
    this.#shortPatterns ??= [...this.#short].map(([key, value]) =>
      new RegExp(
        `(${_escapeRegExp(key)}"?\\s*[=:]\\s*"?)${_escapeRegExp(value)}(?=$|["'\\s,;}\\]&])`,
        "g",
      )
    );
    return this.#shortPatterns;
  }

  /** Replace every registered secret in `text` by `***`. */
  mask(text: string): string {
    let out = text;
    for (const value of this.#longestFirst()) {
      if (out.includes(value)) out = out.split(value).join(MASK);
    }
    for (const re of this.#shortValuePatterns()) out = out.replace(re, `$1${MASK}`);
    return out;
  }

  /** A deep copy of `value` with every string masked (and short secrets under their own key). */
  maskJson<T>(value: T): T {
    return this.#maskValue(value, undefined) as T;
  }

  #maskValue(value: unknown, key: string | undefined): unknown {
    if (typeof value === "string") {
      if (key !== undefined && this.#short.get(key) === value) return MASK;
      return this.mask(value);
    }
    if (Array.isArray(value)) return value.map((v) => this.#maskValue(v, undefined));
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#maskValue(v, k)]));
    }
    return value;
  }
}

// `scheme://user:password@` inside any text (URLs, DSNs, connect strings).
const _URL_PASSWORD = /\b[a-z][\w+.-]*:\/\/[^\s:/@]*:([^\s@/]+)@/gi;

/** The passwords of credentialed URLs in a text, raw and percent-decoded. */
export function urlPasswords(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(_URL_PASSWORD)) {
    out.add(m[1]!);
    try {
      out.add(decodeURIComponent(m[1]!));
    } catch {
      // not percent-encoded
    }
  }
  return [...out];
}
