// "Did you mean" hints for unknown keys (core.md §1.2, builtins.md §0.2, D6).
import type { Issue } from "../types.ts";

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

/**
 * `semantic:unknown_input` issues for every key of `value` not in `allowed`; `loc` is `prefix` + key
 * (`step.tpye`), relative to the step's inputs.
 */
export function unknownInputIssues(
  value: Record<string, unknown>,
  allowed: readonly string[],
  prefix = "",
): Issue[] {
  return Object.keys(value).filter((k) => !allowed.includes(k)).map((k) => ({
    code: "semantic:unknown_input",
    loc: `${prefix}${k}`,
    msg: extraKeyMessage(k, allowed),
  }));
}
