/**
 * Standard 5-field cron expressions (docs/scheduling.md B.3) [D13]: minute hour day-of-month month
 * day-of-week, with `*`, `*∕n`, `a`, `a-b`, `a-b∕n`, `a∕n`, comma lists, month/weekday names and `last`/`L`
 * in day-of-month. Day-of-week numbers are standard cron: 0 and 7 = Sunday (upstream's APScheduler counted
 * 0 = Monday). Pure: no clock, no time zone.
 * @module
 */

/** One comma-separated term as written; `star` terms came from `*` (kept for OnCalendar rendering). */
export interface CronTerm {
  readonly kind: "star" | "value" | "range" | "open" | "last";
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

export interface CronField {
  readonly name: FieldName;
  readonly terms: readonly CronTerm[];
  /** Sorted distinct values the field matches (day-of-week 7 folded into 0). */
  readonly values: readonly number[];
  /** The field text starts with `*` (Vixie cron rule for the day-of-month/day-of-week OR). */
  readonly star: boolean;
}

export interface CronSpec {
  readonly source: string;
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dom: CronField;
  readonly month: CronField;
  readonly dow: CronField;
  /** Day-of-month contains `last`/`L`. */
  readonly domLast: boolean;
  /** Both day fields restricted: a day matches when EITHER matches (standard cron) [D13]. */
  readonly dayOr: boolean;
}

export type FieldName = "minute" | "hour" | "day-of-month" | "month" | "day-of-week";

/** A cron expression that cannot be parsed; `message` names the field. */
export class CronError extends Error {
  readonly code = "scheduler:invalid_cron";
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

const _MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const _WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const _DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const _INT_REGEXP = /^\d+$/;
/** Longest length of each month (February in a leap year). */
const _MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

interface _FieldDef {
  name: FieldName;
  min: number;
  max: number;
  names?: readonly string[];
  nameBase: number;
}

const _FIELDS: readonly _FieldDef[] = [
  { name: "minute", min: 0, max: 59, nameBase: 0 },
  { name: "hour", min: 0, max: 23, nameBase: 0 },
  { name: "day-of-month", min: 1, max: 31, nameBase: 0 },
  { name: "month", min: 1, max: 12, names: _MONTHS, nameBase: 1 },
  { name: "day-of-week", min: 0, max: 7, names: _WEEKDAYS, nameBase: 0 },
];

const _MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** Parse a cron expression; throws `CronError` with the reason. */
export function parseCron(expr: string): CronSpec {
  const parts = expr.trim().split(/\s+/).filter((p) => p !== "");
  if (parts.length === 1 && parts[0]!.startsWith("@")) {
    const macro = parts[0]!.toLowerCase();
    const hint = _MACROS[macro];
    throw new CronError(
      `Cron macros are not supported: ${parts[0]}` +
        (hint ? ` (use the 5-field form "${hint}")` : " (use a 5-field expression)"),
    );
  }
  if (parts.length !== 5) {
    const hint = parts.length === 6 ? " (no seconds or year field: drop the extra one)" : "";
    throw new CronError(`Wrong number of fields; got ${parts.length}, expected 5${hint}`);
  }
  const fields = _FIELDS.map((def, i) => _parseField(parts[i] as string, def));
  const [minute, hour, dom, month, dow] = fields as [CronField, CronField, CronField, CronField, CronField];
  return {
    source: expr.trim(),
    minute,
    hour,
    dom,
    month,
    dow,
    domLast: dom.terms.some((t) => t.kind === "last"),
    dayOr: !dom.star && !dow.star,
  };
}

/** True when no calendar date can ever match (`0 0 31 2 *`); day-of-week restrictions always match some day. */
export function cronNeverFires(spec: CronSpec): boolean {
  if (!spec.dow.star && (spec.dayOr || spec.dom.star)) return false;
  if (spec.domLast) return false;
  return !spec.month.values.some((m) => spec.dom.values.some((d) => d <= _MONTH_DAYS[m - 1]!));
}

/**
 * Warnings for numeric day-of-week values (B.3): schedulers disagree on them (APScheduler counts 0 = Monday),
 * so a number copied from another tool silently shifts the day. One message per distinct number, in order.
 */
export function numericDowWarnings(expr: string): string[] {
  const field = expr.trim().split(/\s+/)[4] ?? "";
  const seen = new Set<number>();
  for (const m of field.matchAll(/(?<![\/\w])(\d+)/g)) seen.add(Number(m[1]));
  return [...seen].filter((n) => n <= 7).map((n) => {
    const day = n % 7;
    return `day-of-week ${n} means ${_DAY_NAMES[day]} in aetherflow (standard cron: 0 and 7 = Sunday, ` +
      `1 = Monday); write '${_WEEKDAYS[day]}' to make it unambiguous`;
  });
}

function _parseField(text: string, def: _FieldDef): CronField {
  const terms = text.split(",").map((t) => _parseTerm(t, def));
  const values = new Set<number>();
  for (const t of terms) {
    if (t.kind === "last") continue;
    for (let v = t.start; v <= t.end; v += t.step) values.add(def.name === "day-of-week" && v === 7 ? 0 : v);
  }
  return {
    name: def.name,
    terms,
    values: [...values].sort((a, b) => a - b),
    star: text.startsWith("*"),
  };
}

function _parseTerm(term: string, def: _FieldDef): CronTerm {
  const where = `in field ${def.name}`;
  if (term === "") throw new CronError(`Empty list item ${where}`);
  const lower = term.toLowerCase();
  if (def.name === "day-of-month" && (lower === "l" || lower === "last")) {
    return { kind: "last", start: 0, end: 0, step: 1 };
  }
  const slash = term.split("/");
  if (slash.length > 2) throw new CronError(`Invalid step "${term}" ${where}`);
  const [base = "", stepText] = slash;
  let step = 1;
  if (stepText !== undefined) {
    if (!_INT_REGEXP.test(stepText) || Number(stepText) < 1) {
      throw new CronError(`Step must be a positive integer, got "${stepText}" ${where}`);
    }
    step = Number(stepText);
  }
  if (base === "*") return { kind: "star", start: def.min, end: _fieldMax(def), step };
  if (base === "") throw new CronError(`Missing value before "/${stepText ?? ""}" ${where}`);
  const dash = base.split("-");
  if (dash.length > 2) throw new CronError(`Invalid range "${base}" ${where}`);
  const start = _parseValue(dash[0] as string, def);
  if (dash.length === 2) {
    const end = _parseValue(dash[1] as string, def);
    if (end < start) throw new CronError(`Reversed range "${base}" ${where}`);
    return { kind: "range", start, end, step };
  }
  if (stepText !== undefined) return { kind: "open", start, end: _fieldMax(def), step };
  return { kind: "value", start, end: start, step: 1 };
}

/** `*` and `a∕n` run to the field maximum; day-of-week stops at 6 so Sunday is not counted twice. */
function _fieldMax(def: _FieldDef): number {
  return def.name === "day-of-week" ? 6 : def.max;
}

function _parseValue(text: string, def: _FieldDef): number {
  const where = `in field ${def.name}`;
  let value: number;
  if (_INT_REGEXP.test(text)) {
    value = Number(text);
  } else {
    const idx = def.names?.indexOf(text.toLowerCase()) ?? -1;
    if (idx < 0) throw new CronError(`Invalid value "${text}" ${where}`);
    value = idx + def.nameBase;
  }
  if (value < def.min || value > def.max) {
    throw new CronError(`Value ${value} out of range ${def.min}-${def.max} ${where}`);
  }
  return value;
}
