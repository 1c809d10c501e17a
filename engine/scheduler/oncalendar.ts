/**
 * cron -> systemd `OnCalendar=` (docs/scheduling.md B.10) [D13]. Pure.
 *
 * Output form: `<DOW> *-<MONTH>-<DAY> <HOUR>:<MINUTE>:00 <TZ>` (DOW omitted when `*`). systemd ANDs the weekday
 * with the date, so a cron whose two day fields are both restricted (standard cron: EITHER matches) becomes
 * two specs, one per day field; `last` in day-of-month (`*-<MONTH>~01`) mixed with plain days also splits.
 * @module
 */
import { type CronField, cronNeverFires, type CronSpec, type CronTerm } from "./cron.ts";

/** An expression systemd cannot express the same way; `reason` says why. */
export class OnCalendarError extends Error {
  readonly code = "scheduler:inexpressible";
  constructor(message: string) {
    super(message);
    this.name = "OnCalendarError";
  }
}

const _SD_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/** systemd orders weeks Monday..Sunday; ranges must not wrap. */
const _SD_ORDER = [1, 2, 3, 4, 5, 6, 0];

/**
 * The `OnCalendar=` values (one or more lines, ORed by systemd) for a parsed cron in `tz`.
 * @throws OnCalendarError for an expression that never fires.
 */
export function cronToOnCalendar(spec: CronSpec, tz: string): string[] {
  if (cronNeverFires(spec)) throw new OnCalendarError(`Cron expression never fires: ${spec.source}`);
  const time = `${_timeField(spec.hour)}:${_timeField(spec.minute)}:00`;
  const month = _dateTerms(spec.month.terms);
  const lines: string[] = [];
  const dayLines = (dow: string | null) => {
    const prefix = dow === null ? "" : `${dow} `;
    const plain = spec.dom.terms.filter((t) => t.kind !== "last");
    if (plain.length > 0) lines.push(`${prefix}*-${month}-${_dateTerms(plain)} ${time} ${tz}`);
    if (spec.domLast) lines.push(`${prefix}*-${month}~01 ${time} ${tz}`);
  };
  if (spec.dayOr) {
    lines.push(`${_weekdays(spec.dow)} *-${month}-* ${time} ${tz}`);
    dayLines(null);
  } else {
    dayLines(spec.dow.star && spec.dow.values.length === 7 ? null : _weekdays(spec.dow));
  }
  return lines;
}

function _timeField(field: CronField): string {
  return _terms(field.terms, "00");
}

function _dateTerms(terms: readonly CronTerm[]): string {
  return _terms(terms, "01");
}

/**
 * Render terms, numbers as two digits; a plain `*` anywhere makes the whole field `*`, and a stepped `*∕n`
 * starts at `first` (the field's first value: `00` for time, `01` for dates).
 */
function _terms(terms: readonly CronTerm[], first: string): string {
  if (terms.some((t) => t.kind === "star" && t.step === 1)) return "*";
  const p = (n: number) => String(n).padStart(2, "0");
  return terms.map((t) => {
    if (t.kind === "star") return `${first}/${t.step}`;
    if (t.kind === "value") return p(t.start);
    if (t.kind === "open") return `${p(t.start)}/${t.step}`;
    return t.step === 1 ? `${p(t.start)}..${p(t.end)}` : `${p(t.start)}..${p(t.end)}/${t.step}`;
  }).join(",");
}

/** Weekdays from the matched set, as runs in systemd's Monday-first order (`Mon..Fri,Sun`). */
function _weekdays(field: CronField): string {
  const days = _SD_ORDER.filter((d) => field.values.includes(d));
  const runs: string[] = [];
  let i = 0;
  while (i < days.length) {
    let j = i;
    while (
      j + 1 < days.length &&
      _SD_ORDER.indexOf(days[j + 1] as number) === _SD_ORDER.indexOf(days[j] as number) + 1
    ) {
      j++;
    }
    const a = _SD_DAYS[days[i] as number] as string;
    const b = _SD_DAYS[days[j] as number] as string;
    runs.push(i === j ? a : j === i + 1 ? `${a},${b}` : `${a}..${b}`);
    i = j + 1;
  }
  return runs.join(",");
}
