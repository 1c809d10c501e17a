/**
 * Typed SQL values that a JavaScript primitive cannot carry without losing information: exact decimals, dates
 * and timestamps (naive or zone-aware). Built-in `db` drivers return these in rows; the db steps format them
 * (docs/steps.md "Value formatting"). Other values travel as `null`, `boolean`, `number`, `bigint` (integers
 * beyond 2^53), `string`, `Uint8Array` (binary) or parsed JSON (arrays, maps).
 * @module
 */

/** An exact decimal (`numeric`, `DECIMAL`) as the database prints it (`-12.50`, `NaN`). */
export class SqlDecimal {
  constructor(readonly text: string) {}
  toJSON(): number | string {
    const n = Number(this.text);
    // A number only when it reads back to the same decimal (`12.50` -> 12.5 is exact; 0.1+… is not).
    return Number.isFinite(n) && _sameDecimal(this.text, n) ? n : this.text;
  }
}

function _sameDecimal(text: string, n: number): boolean {
  const norm = (s: string) => {
    let t = s.trim().replace(/^\+/, "");
    const neg = t.startsWith("-");
    if (neg) t = t.slice(1);
    if (t.includes(".")) t = t.replace(/0+$/, "").replace(/\.$/, "");
    t = t.replace(/^0+(?=\d)/, "");
    return (neg && t !== "0" ? "-" : "") + t;
  };
  if (/e/i.test(text)) return false;
  const shortest = String(n);
  if (/e/i.test(shortest)) return false;
  return norm(text) === norm(shortest);
}

/** A calendar date, `YYYY-MM-DD` (or the database's text for values outside that form, e.g. `infinity`). */
export class SqlDate {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/**
 * A timestamp: `text` is the wall clock `YYYY-MM-DD HH:MM:SS[.fff|.ffffff]`; `offset` is `+HH:MM` for a
 * zone-aware value, null for a naive one (naive values are never shifted by the process time zone).
 */
export class SqlTimestamp {
  constructor(readonly text: string, readonly offset: string | null) {}
  /** Text form: `2024-01-02 03:04:05.120+02:00`. */
  toText(): string {
    return this.offset === null ? this.text : this.text + this.offset;
  }
  /** JSON form: `2024-01-02T03:04:05.120+02:00`. */
  toJSON(): string {
    return this.text.replace(" ", "T") + (this.offset ?? "");
  }
  /** Epoch milliseconds (a naive value read as UTC), or NaN for values outside the ISO form. */
  epochMillis(): number {
    return Date.parse(this.text.replace(" ", "T").slice(0, 23) + (this.offset ?? "Z"));
  }
}

const _FRACTION = /\.(\d+)$/;

/**
 * Normalise a wall-clock time's fraction: none when zero, 3 digits when it is whole milliseconds, else 6
 * (microseconds, which databases keep and a JS `Date` would drop).
 */
export function normaliseFraction(wall: string): string {
  const m = _FRACTION.exec(wall);
  if (!m) return wall;
  const digits = m[1]!.replace(/0+$/, "");
  const head = wall.slice(0, m.index);
  if (digits === "") return head;
  if (digits.length <= 3) return `${head}.${digits.padEnd(3, "0")}`;
  return `${head}.${digits.slice(0, 6).padEnd(6, "0")}`;
}

const _OFFSET = /([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

/**
 * Parse the text of a zone-aware timestamp as databases print it (`2024-01-02 03:04:05.12+05:30`, `…+00`,
 * `…Z`) into a SqlTimestamp with a `+HH:MM` offset. Text without an offset gives a naive value.
 */
export function parseZonedTimestamp(text: string): SqlTimestamp {
  if (text.endsWith("Z")) return new SqlTimestamp(normaliseFraction(text.slice(0, -1)), "+00:00");
  const m = _OFFSET.exec(text);
  // Only an offset after the time part counts (a date's `-02` is not one).
  if (!m || m.index < 19) return new SqlTimestamp(normaliseFraction(text), null);
  const seconds = m[4] && m[4] !== "00" ? `:${m[4]}` : "";
  return new SqlTimestamp(
    normaliseFraction(text.slice(0, m.index)),
    `${m[1]}${m[2]}:${m[3] ?? "00"}${seconds}`,
  );
}

/** A naive timestamp from its text (`2024-01-02 03:04:05.123456`, `2024-01-02T03:04:05`). */
export function naiveTimestamp(text: string): SqlTimestamp {
  return new SqlTimestamp(normaliseFraction(text.replace("T", " ")), null);
}

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** A JS Date read as UTC wall clock (drivers that only give Dates): zone-aware `+00:00` or naive. */
export function timestampFromDate(date: Date, zoned: boolean): SqlTimestamp {
  const text =
    `${_pad(date.getUTCFullYear(), 4)}-${_pad(date.getUTCMonth() + 1)}-${_pad(date.getUTCDate())} ` +
    `${_pad(date.getUTCHours())}:${_pad(date.getUTCMinutes())}:${_pad(date.getUTCSeconds())}` +
    `.${_pad(date.getUTCMilliseconds(), 3)}`;
  return new SqlTimestamp(normaliseFraction(text), zoned ? "+00:00" : null);
}

/** An integer from its decimal text: a number when exact, else a bigint. */
export function integerFromText(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** An integer bigint as a number when exact. */
export function integerFromBigInt(value: bigint): number | bigint {
  return value <= 9007199254740991n && value >= -9007199254740991n ? Number(value) : value;
}

// Value formatting (docs/steps.md "Value formatting"): the text form of a value (CSV/TSV cells, messages) and
// its JSON form (rows_json, JSONL, outputs).

declare global {
  interface Uint8Array {
    toBase64(): string;
  }
}

/** The text form: `""` for null/NaN/Infinity, `true`/`false`, shortest round-trip numbers, base64 bytes. */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isFinite(value) ? String(value) : "";
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "";
    case "object":
      if (value === null) return "";
      if (value instanceof SqlDecimal) return _finiteDecimalText(value.text);
      if (value instanceof SqlTimestamp) return value.toText();
      if (value instanceof SqlDate) return value.text;
      if (value instanceof Uint8Array) return value.toBase64();
      if (value instanceof Date) return timestampFromDate(value, true).toText();
      return JSON.stringify(jsonOf(value));
    default:
      return String(value);
  }
}

function _finiteDecimalText(text: string): string {
  return /^[+-]?(nan|inf|infinity)$/i.test(text) ? "" : text;
}

/** The JSON form: numbers (integers beyond 2^53 as strings), ISO dates, base64 bytes, nested values converted. */
export function jsonOf(value: unknown): unknown {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value <= 9007199254740991n && value >= -9007199254740991n ? Number(value) : value.toString();
    case "undefined":
      return null;
    case "object": {
      if (value === null) return null;
      if (value instanceof SqlDecimal) {
        const j = value.toJSON();
        return typeof j === "string" && _finiteDecimalText(j) === "" ? null : j;
      }
      if (value instanceof SqlTimestamp || value instanceof SqlDate) return value.toJSON();
      if (value instanceof Uint8Array) return value.toBase64();
      if (value instanceof Date) return timestampFromDate(value, true).toJSON();
      if (Array.isArray(value)) return value.map(jsonOf);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = jsonOf(v);
      return out;
    }
    default:
      return value;
  }
}

/** Whether a value counts as a number for `quoting: nonnumeric` (numbers, big integers, decimals). */
export function isNumeric(value: unknown): boolean {
  return typeof value === "number" || typeof value === "bigint" || value instanceof SqlDecimal;
}
