// Time-zone arithmetic on top of Intl (no tz database of our own): UTC offsets, wall time <-> instants.

const _FORMATS = new Map<string, Intl.DateTimeFormat>();
const _MINUTE = 60_000;

/** True when `tz` is an IANA zone this runtime knows (croner only notices bad zones at fire time). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
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
