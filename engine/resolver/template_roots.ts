/**
 * Roots named by the `{{…}}` of a string, for validation's unknown-root check (docs/validation.md 3a).
 * @module
 */

// Shortest match on one line, as upstream's `re.findall(r"\{\{(.*?)\}\}")` (`.` stops at "\n").
const _TOKEN_REGEXP = /\{\{([^\n]*?)\}\}/g;

/**
 * The root of every `{{…}}` in `text`: inner text trimmed (empty skipped), then the part before the
 * first `:`, then before the first `.`, trimmed. Not validated: `{{ x | lower }}` gives `x | lower`.
 *
 * @example Usage
 * ```ts
 * import { templateRoots } from "./template_roots.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(templateRoots("{{env.A}}-{{ x | lower }}-{{secrets.X:d}}"), ["env", "x | lower", "secrets"]);
 * ```
 */
export function templateRoots(text: string): string[] {
  const roots: string[] = [];
  for (const m of text.matchAll(_TOKEN_REGEXP)) {
    const inner = m[1]!.trim();
    if (inner === "") continue;
    roots.push(inner.split(":", 1)[0]!.split(".", 1)[0]!.trim());
  }
  return roots;
}

/**
 * The env keys named by the `{{env.KEY…}}` tokens of `text` (`{{env.A:d}}` -> `A`), in order, repeats kept.
 *
 * @example Usage
 * ```ts
 * import { templateEnvKeys } from "./template_roots.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(templateEnvKeys("{{env.A}}/{{ env.B:x }}/{{steps.s.v}}"), ["A", "B"]);
 * ```
 */
export function templateEnvKeys(text: string): string[] {
  const keys: string[] = [];
  for (const m of text.matchAll(_TOKEN_REGEXP)) {
    const path = m[1]!.trim().split(":", 1)[0]!.trim();
    if (!path.startsWith("env.")) continue;
    const key = path.slice(4).split(".", 1)[0]!.trim();
    if (key !== "") keys.push(key);
  }
  return keys;
}
