/**
 * Daily times that a DST change makes ambiguous (docs/scheduling.md "DST"): a wall time inside a
 * spring-forward gap does not exist that day, one inside a fall-back repeat happens twice. `schedule validate`
 * warns about them, because the two run modes differ on a gap (the loop fires after it, a systemd timer skips the
 * day). Pure: the start instant is an argument.
 * @module
 */
import type { CronSpec } from "./cron.ts";
import { matchesDay } from "./next_fire.ts";
import { zoneTransitions } from "./_zone.ts";

const _DAY = 86_400_000;
const _HOUR = 3_600_000;
const _MINUTE = 60_000;
const _MAX_LISTED = 3;

export interface DstWarning {
  readonly code: "scheduler:dst_gap" | "scheduler:dst_repeat";
  readonly msg: string;
}

/**
 * Warnings for the item's daily times that fall into a DST gap or repeat of `tz` within `days` of `from`.
 * Crons that run every hour are not "daily times" and are left alone (an hourly job simply has one run less or
 * one more that night, as documented).
 */
export function dstWarnings(spec: CronSpec, tz: string, from: number, days = 366): DstWarning[] {
  if (spec.hour.values.length >= 24) return [];
  const out: DstWarning[] = [];
  for (const tr of zoneTransitions(tz, from, from + days * _DAY)) {
    const gap = tr.after > tr.before;
    // Wall-clock interval (UTC-encoded) that is missing (gap) or happens twice (repeat).
    const lo = tr.at + Math.min(tr.before, tr.after);
    const hi = tr.at + Math.max(tr.before, tr.after);
    const day = Math.floor(lo / _DAY) * _DAY;
    if (!matchesDay(spec, day)) continue;
    const hits: string[] = [];
    for (const h of spec.hour.values) {
      for (const m of spec.minute.values) {
        const wall = day + h * _HOUR + m * _MINUTE;
        if (wall >= lo && wall < hi) hits.push(_hhmm(wall));
      }
    }
    if (hits.length === 0) continue;
    const times = hits.length > _MAX_LISTED
      ? `${hits.slice(0, _MAX_LISTED).join(", ")} and ${hits.length - _MAX_LISTED} more`
      : hits.join(", ");
    const date = new Date(day).toISOString().slice(0, 10);
    const window = `${_hhmm(lo)}–${_hhmm(hi)}`;
    out.push(
      gap
        ? {
          code: "scheduler:dst_gap",
          msg:
            `${times} does not exist in ${tz} on ${date} (clocks jump from ${_hhmm(lo)} to ${_hhmm(hi)}): ` +
            `'schedule run' fires at ${_hhmm(hi)} instead, a systemd timer skips that day's run; ` +
            `pick a time outside ${window}`,
        }
        : {
          code: "scheduler:dst_repeat",
          msg:
            `${times} happens twice in ${tz} on ${date} (clocks go back from ${_hhmm(hi)} to ${
              _hhmm(lo)
            }): ` +
            `it runs once, at the first occurrence; pick a time outside ${window} if the exact hour matters`,
        },
    );
  }
  return out;
}

function _hhmm(wall: number): string {
  return new Date(wall).toISOString().slice(11, 16);
}
