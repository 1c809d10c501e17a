// Cell values of the Excel steps: text, numbers, booleans, big integers, null and wall-clock dates. Excel has no
// time zones, so a date is kept as the clock reading it was written with (docs/steps.md "Casting").

const _DAY_MS = 86_400_000;
// 1899-12-30: day 0 of Excel's 1900 date system, counted so that serials from 1900-03-01 on match Excel.
const _EPOCH_SERIAL_OFFSET = 25569;

/** A date or datetime as its wall-clock reading (stored as if it were UTC). */
export class XlDate {
  constructor(readonly ms: number, readonly dateOnly: boolean) {}

  /** Excel's serial day number. */
  serial(): number {
    return this.ms / _DAY_MS + _EPOCH_SERIAL_OFFSET;
  }

  /** `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS[.mmm]` (docs/steps.md "Value formatting"). */
  text(): string {
    const iso = new Date(this.ms).toISOString();
    if (this.dateOnly) return iso.slice(0, 10);
    const ms = iso.slice(19, 23);
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === ".000" ? "" : ms}`;
  }
}

/** A value the fill steps write into a cell. */
export type CellValue = string | number | boolean | bigint | XlDate | null;

/** The D17 text of a value (shortest numbers, `true`/`false`, dates per XlDate.text, JSON for structures). */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof XlDate) return v.text();
  if (v instanceof Date) return new XlDate(v.getTime(), false).text();
  if (v instanceof Uint8Array) return btoa(String.fromCharCode(...v));
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? x.toString() : x) ?? "";
}

/** A value read from a source as a cell value (parquet gives Dates, bigints, structures). */
export function toCellValue(v: unknown, dateOnly = false): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v instanceof XlDate) return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : new XlDate(v.getTime(), dateOnly);
  return valueText(v);
}

const _DATE_REGEXP = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const _DATETIME_REGEXP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?)?([+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d+)?)?)?)?$/;

function _utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 2024-02-30 over into March; that is not a date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    return undefined;
  }
  return t;
}

/** An ISO date (`2024-01-31`, `20240131`) at midnight, or undefined. */
export function parseIsoDate(text: string): XlDate | undefined {
  const m = _DATE_REGEXP.exec(text);
  if (!m) return undefined;
  const t = _utc(Number(m[1]), Number(m[2]), Number(m[3]));
  return t === undefined ? undefined : new XlDate(t, false);
}

/**
 * An ISO datetime (`2024-01-31`, `2024-01-31 08:30`, `2024-01-31T08:30:00.5+02:00`); a UTC offset is accepted
 * and dropped (the wall-clock reading is kept), or undefined.
 */
export function parseIsoDatetime(text: string): XlDate | undefined {
  const m = _DATETIME_REGEXP.exec(text);
  if (!m) return undefined;
  const frac = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  const t = _utc(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    Math.min(frac, 999),
  );
  return t === undefined ? undefined : new XlDate(t, false);
}
