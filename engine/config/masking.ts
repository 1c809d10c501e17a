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
  #binary: readonly string[] | null = [];
  #shortBinary: { patterns: RegExp[]; holdBytes: number } | null = { patterns: [], holdBytes: 0 };

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
    this.#binary = null;
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
        this.#shortBinary = null;
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

  /**
   * Every free-standing secret as its UTF-8 bytes in a binary string (one char per byte), longest first: what
   * the byte-level `StreamMasker` (engine/config/stream_masker.ts) searches for in a child's raw output.
   */
  binarySecrets(): readonly string[] {
    this.#binary ??= this.#longestFirst().map(toBinary);
    return this.#binary;
  }

  /**
   * `text` (a binary string: one char per byte) with every short secret masked where printed as its key's value
   * (`TOKEN=abc`), like `mask()` does on text.
   */
  maskShortBinary(text: string): string {
    let out = text;
    for (const re of this.#shortBinaryPatterns().patterns) out = out.replace(re, `$1${MASK}`);
    return out;
  }

  /**
   * How many bytes a `KEY=value` occurrence of a short secret spans at most (key, value and a few separator
   * bytes), so a stream cut inside a long line keeps that many bytes for the next flush; 0 without short secrets.
   */
  get shortSecretSpanBytes(): number {
    return this.#shortBinaryPatterns().holdBytes;
  }

  #shortBinaryPatterns(): { patterns: RegExp[]; holdBytes: number } {
    this.#shortBinary ??= {
      patterns: [...this.#short].map(([key, value]) =>
        new RegExp(
          `(${_escapeRegExp(toBinary(key))}"?\\s*[=:]\\s*"?)${
            _escapeRegExp(toBinary(value))
          }(?=$|["'\\s,;}\\]&])`,
          "g",
        )
      ),
      holdBytes: Math.max(
        0,
        ...[...this.#short].map(([key, value]) =>
          toBinary(key).length + toBinary(value).length + _SHORT_SEPARATOR_SLACK
        ),
      ),
    };
    return this.#shortBinary;
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

/** Room for `"`, `=`/`:`, spaces and a quote around a short secret's key and value (`"TOKEN" : "abc"`). */
const _SHORT_SEPARATOR_SLACK = 8;

/** The UTF-8 bytes of `text` as a binary string: one char (code 0–255) per byte. */
export function toBinary(text: string): string {
  return bytesToBinary(new TextEncoder().encode(text));
}

/** `bytes` as a binary string: one char (code 0–255) per byte, so any bytes (not only UTF-8) survive. */
export function bytesToBinary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += _BINARY_BLOCK) {
    out += String.fromCharCode(...bytes.subarray(i, i + _BINARY_BLOCK));
  }
  return out;
}

/** The bytes of a binary string (each char's code is one byte). */
export function binaryToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// Argument count per String.fromCharCode call (far below every engine's argument limit).
const _BINARY_BLOCK = 8192;

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
