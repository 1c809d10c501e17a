/**
 * "Did you mean" hints for unknown keys in flows, profiles, step inputs, settings and scheduler files
 * (docs/yaml-spec.md, docs/steps.md, D6): optimal-string-alignment distance ≤ 2, ties in declaration order.
 * @module
 */

/** Largest edit distance still worth suggesting. */
const _MAX_DISTANCE = 2;

/**
 * Damerau-Levenshtein distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of adjacent characters each cost 1).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from(
    { length: rows },
    (_, i) => Array.from({ length: cols }, (_, j) => i || j),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key closest to `key` within distance 2 (first one on ties), or undefined. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = _MAX_DISTANCE + 1;
  for (const candidate of allowed) {
    // The length gap bounds the distance from below: skip the table when it alone rules a candidate out.
    if (Math.abs(key.length - candidate.length) > _MAX_DISTANCE) continue;
    const dist = editDistance(key, candidate);
    if (dist < bestDistance) {
      best = candidate;
      bestDistance = dist;
    }
  }
  return best;
}

/** The contract message for an unknown key, with a hint when one is close. */
export function extraKeyMessage(key: string, allowed: readonly string[]): string {
  const hint = suggestKey(key, allowed);
  return hint === undefined
    ? "Extra inputs are not permitted"
    : `Extra inputs are not permitted (did you mean '${hint}'?)`;
}
