// Time-zone names and arithmetic on top of Intl (no tz database of our own): UTC offsets, wall time <-> instants.
import { suggestKey } from "../suggest.ts";

const _FORMATS = new Map<string, Intl.DateTimeFormat>();
const _MINUTE = 60_000;

/** True when `tz` is a canonically spelled IANA zone name (see `timeZoneProblem`). */
export function isValidTimeZone(tz: string): boolean {
  return timeZoneProblem(tz) === undefined;
}

/** What is wrong with a `timezone` value, with the spelling to use instead when one is known. */
export interface ZoneProblem {
  readonly msg: string;
  readonly suggestion?: string;
}

// An IANA name: `Area/Location[/Sub]`, `UTC`, `EST5EDT`, `Etc/GMT-1`. Offsets (`+01:00`) are not names: V8
// accepts them, systemd timers do not.
const _NAME_REGEXP = /^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/;
const _ZONEINFO = "/usr/share/zoneinfo";

/**
 * Why `tz` cannot be used as the schedule's zone, or undefined. Accepted: a name V8 knows, spelled exactly as
 * the IANA database spells it (systemd looks the zone up as a file, so `europe/berlin` fails there even though
 * `Intl` accepts it). V8 canonicalises aliases (`Asia/Kolkata` -> `Asia/Calcutta`, `Etc/UTC` -> `UTC`); an alias
 * is accepted when the local tz database has that exact file, or when no database is installed here.
 */
export function timeZoneProblem(
  tz: string,
  hasZoneFile: (name: string) => boolean | undefined = _hasZoneFile,
): ZoneProblem | undefined {
  if (!_NAME_REGEXP.test(tz)) {
    return {
      msg: `Unknown time zone: ${tz} (use an IANA zone name such as Europe/Berlin or UTC; ` +
        "UTC offsets are not zone names and systemd timers refuse them)",
    };
  }
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat("en", { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    const hint = suggestZone(tz);
    return { msg: `Unknown time zone: ${tz}${hint ? ` (did you mean '${hint}'?)` : ""}`, suggestion: hint };
  }
  if (canonical === tz) return undefined;
  if (canonical.toLowerCase() === tz.toLowerCase()) {
    return {
      msg: `Time zone ${tz} is not spelled canonically (did you mean '${canonical}'?)`,
      suggestion: canonical,
    };
  }
  // An alias (link) of `canonical`: its case cannot be checked through Intl, only against the tz database.
  const known = hasZoneFile(tz);
  if (known === false) {
    return {
      msg: `Time zone ${tz} is not spelled canonically (did you mean '${canonical}'?)`,
      suggestion: canonical,
    };
  }
  return undefined;
}

/** The zone name closest to `tz` (case-insensitive, edit distance <= 2), if any. */
export function suggestZone(tz: string): string | undefined {
  const zones = [...Intl.supportedValuesOf("timeZone"), "UTC"];
  const lower = tz.toLowerCase();
  const exact = zones.find((z) => z.toLowerCase() === lower);
  if (exact) return exact;
  const hit = suggestKey(lower, zones.map((z) => z.toLowerCase()));
  return hit === undefined ? undefined : zones.find((z) => z.toLowerCase() === hit);
}

/** Whether `<zoneinfo>/<name>` exists (case-sensitive); undefined when there is no tz database to ask. */
function _hasZoneFile(name: string): boolean | undefined {
  try {
    if (!Deno.statSync(_ZONEINFO).isDirectory) return undefined;
  } catch {
    return undefined;
  }
  try {
    return Deno.statSync(`${_ZONEINFO}/${name}`).isFile;
  } catch {
    return false;
  }
}

function _format(tz: string): Intl.DateTimeFormat {
  let fmt = _FORMATS.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    _FORMATS.set(tz, fmt);
  }
  return fmt;
}

/** Offset of `tz` at `instant` in ms (wall = instant + offset). */
function _offsetAt(tz: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const p of _format(tz).formatToParts(new Date(instant))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/** Wall-clock time of `instant` in `tz`, encoded as a UTC epoch value. */
export function wallOf(tz: string, instant: number): number {
  return instant + _offsetAt(tz, instant);
}

/**
 * The instant a wall time `wall` fires at (B.3): the wall time itself; in a repeated hour (fall back) its
 * FIRST occurrence, so it fires once; in a gap (spring forward) the first valid instant after the gap.
 */
export function fireInstant(tz: string, wall: number): number {
  const before = _offsetAt(tz, wall - 86_400_000);
  const after = _offsetAt(tz, wall + 86_400_000);
  const valid = [...new Set([before, after, _offsetAt(tz, wall - before)])]
    .map((o) => wall - o)
    .filter((t) => wall - t === _offsetAt(tz, t));
  if (valid.length > 0) return Math.min(...valid);
  // Gap: binary-search the transition between the two candidate instants (offsets change on whole minutes).
  let lo = Math.min(wall - before, wall - after);
  let hi = Math.max(wall - before, wall - after);
  const loOffset = _offsetAt(tz, lo);
  while (hi - lo > _MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / _MINUTE) * _MINUTE;
    if (_offsetAt(tz, mid) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The offset of `tz` around `wallDay` when it is the same 36 h before and after (no transition that day), else null. */
export function steadyOffset(tz: string, wallDay: number): number | null {
  const a = _offsetAt(tz, wallDay - 36 * 3_600_000);
  const b = _offsetAt(tz, wallDay + 36 * 3_600_000);
  return a === b ? a : null;
}

/** One UTC-offset change of a zone: at instant `at` the offset goes from `before` to `after` (ms). */
export interface ZoneTransition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/** Offset changes of `tz` in [from, to), found day by day and pinned to the minute. */
export function zoneTransitions(tz: string, from: number, to: number): ZoneTransition[] {
  const out: ZoneTransition[] = [];
  let prev = _offsetAt(tz, from);
  for (let t = from; t < to; t += 86_400_000) {
    const next = Math.min(t + 86_400_000, to);
    const offset = _offsetAt(tz, next);
    if (offset === prev) continue;
    let lo = t;
    let hi = next;
    while (hi - lo > _MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / _MINUTE) * _MINUTE;
      if (_offsetAt(tz, mid) === prev) lo = mid;
      else hi = mid;
    }
    out.push({ at: hi, before: prev, after: offset });
    prev = offset;
  }
  return out;
}
