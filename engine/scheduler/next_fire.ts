/**
 * Next/previous fire times of a cron spec in an IANA time zone (B.3, B.5) [D13]. Pure: "now" is an argument.
 *
 * DST rules (documented in docs/scheduling.md): a wall time inside a spring-forward gap fires once at the first
 * valid instant after the gap (`30 2 * * *` Berlin 2025-03-30 -> 03:00 CEST); a wall time repeated by a
 * fall-back fires once, at its first occurrence (02:30 CEST on 2025-10-26). We compute this ourselves
 * because croner skips gap times written as lists and fires repeated times twice.
 * @module
 */
import type { CronSpec } from "./cron.ts";
import { fireInstant, steadyOffset, wallOf } from "./_zone.ts";

const _DAY = 86_400_000;
/** Search horizon: 29 February on a given weekday recurs within 28 years. */
const _MAX_DAYS = 366 * 29;

/** First fire time strictly after `after` (epoch ms), or null when the spec never fires. */
export function nextFire(spec: CronSpec, tz: string, after: number): number | null {
  const startDay = _dayOf(wallOf(tz, after)) - _DAY;
  for (let i = 0; i <= _MAX_DAYS; i++) {
    const day = startDay + i * _DAY;
    if (!matchesDay(spec, day)) continue;
    const steady = steadyOffset(tz, day);
    for (const h of spec.hour.values) {
      for (const m of spec.minute.values) {
        const wall = day + h * 3_600_000 + m * 60_000;
        const t = steady === null ? fireInstant(tz, wall) : wall - steady;
        if (t > after) return t;
      }
    }
  }
  return null;
}

/** Latest fire time at or before `at` (epoch ms), or null. Used for coalescing and the systemd guard. */
export function prevFire(spec: CronSpec, tz: string, at: number): number | null {
  const startDay = _dayOf(wallOf(tz, at)) + _DAY;
  const hours = [...spec.hour.values].reverse();
  const minutes = [...spec.minute.values].reverse();
  for (let i = 0; i <= _MAX_DAYS; i++) {
    const day = startDay - i * _DAY;
    if (!matchesDay(spec, day)) continue;
    const steady = steadyOffset(tz, day);
    for (const h of hours) {
      for (const m of minutes) {
        const wall = day + h * 3_600_000 + m * 60_000;
        const t = steady === null ? fireInstant(tz, wall) : wall - steady;
        if (t <= at) return t;
      }
    }
  }
  return null;
}

/** The next `count` fire times after `after`. */
export function nextFires(spec: CronSpec, tz: string, after: number, count: number): number[] {
  const out: number[] = [];
  let t: number | null = after;
  while (out.length < count) {
    t = nextFire(spec, tz, t);
    if (t === null) break;
    out.push(t);
  }
  return out;
}

/** Does the wall-clock date `day` (UTC-encoded midnight) match month and the day fields? */
export function matchesDay(spec: CronSpec, day: number): boolean {
  const d = new Date(day);
  if (!spec.month.values.includes(d.getUTCMonth() + 1)) return false;
  const dom = d.getUTCDate();
  const lastDom = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const domOk = spec.dom.values.includes(dom) || (spec.domLast && dom === lastDom);
  const dowOk = spec.dow.values.includes(d.getUTCDay());
  // Standard cron: both day fields restricted -> either may match [D13]; upstream required both.
  return spec.dayOr ? domOk || dowOk : domOk && dowOk;
}

function _dayOf(wall: number): number {
  return Math.floor(wall / _DAY) * _DAY;
}
