// Ages on the command line (`--older-than 30d`, `--since 12h`): `<n>` then s, m, h, d or w.

const _UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
const _AGE_REGEXP = /^\s*(\d+)\s*([smhdw])\s*$/i;

/** Milliseconds of an age like `30d`, or null when the text is not one. */
export function parseAge(text: string): number | null {
  const m = _AGE_REGEXP.exec(text);
  if (m === null) return null;
  const ms = Number(m[1]) * _UNIT_SECONDS[m[2]!.toLowerCase() as keyof typeof _UNIT_SECONDS] * 1000;
  return Number.isSafeInteger(ms) ? ms : null;
}
