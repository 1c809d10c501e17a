// "Did you mean" for unknown scheduler keys [D6]: optimal-string-alignment distance <= 2, ties in declaration
// order (core.md §1.2). A copy of engine/spec/_suggest.ts, which is private to its folder.

/** `Extra inputs are not permitted`, plus the hint when an allowed key is close. */
export function extraForbiddenMessage(key: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestDist = 3;
  for (const cand of allowed) {
    const d = _distance(key, cand);
    if (d < bestDist) {
      best = cand;
      bestDist = d;
    }
  }
  return best === undefined
    ? "Extra inputs are not permitted"
    : `Extra inputs are not permitted (did you mean '${best}'?)`;
}

function _distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      let v = Math.min(
        up[j] as number + 1,
        row[j - 1] as number + 1,
        up[j - 1] as number + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (d[i - 2] as number[])[j - 2] as number + 1);
      }
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
