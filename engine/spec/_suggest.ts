// "Did you mean" hints for unknown keys (core.md §1.2, D6): Damerau-Levenshtein (optimal string alignment)
// distance ≤ 2, ties resolved by declaration order. Private copy until engine/steps/_suggest.ts is shared.

/** The closest allowed key within distance 2, or undefined. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const cand of allowed) {
    const d = _distance(key, cand);
    // Strictly smaller: the first candidate (declaration order) wins ties.
    if (d < bestDist) {
      best = cand;
      bestDist = d;
    }
  }
  return best;
}

/** `Extra inputs are not permitted`, plus the hint when one applies. */
export function extraForbiddenMessage(key: string, allowed: readonly string[]): string {
  const hint = suggestKey(key, allowed);
  return hint === undefined
    ? "Extra inputs are not permitted"
    : `Extra inputs are not permitted (did you mean '${hint}'?)`;
}

function _distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from(
    { length: rows },
    (_, i) => Array.from({ length: cols }, (_, j) => i === 0 ? j : j === 0 ? i : 0),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
