/**
 * The standalone (typed) token test of docs/templating.md [D7].
 * @module
 */

// ASCII-only PATH, optional `:DEFAULT` (any run of non-`}`), whitespace inside the braces, anchored at
// the start, one trailing "\n" tolerated (upstream used Python's `$`, which matches before a final newline).
const _STANDALONE_REGEXP =
  /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?::([^}]*))?\s*\}\}\n?$/;

/** A parsed standalone token: `defaultText` is undefined without `:`, `""` for `{{X:}}`. */
export interface StandaloneToken {
  path: string;
  defaultText?: string;
}

/** Parse `text` as one whole standalone token, or undefined when it is not one (no trimming). */
export function matchStandalone(text: string): StandaloneToken | undefined {
  const m = _STANDALONE_REGEXP.exec(text);
  if (!m) return undefined;
  return { path: m[1]!, defaultText: m[2] };
}

/**
 * True when `text` is exactly one `{{PATH}}` / `{{PATH:DEFAULT}}` token (ASCII path, no leading
 * whitespace, one trailing newline tolerated). Callers applying the decode rule trim first (docs/validation.md 1b).
 *
 * @example Usage
 * ```ts
 * import { isStandaloneToken } from "./standalone.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isStandaloneToken("{{ env.TOKEN }}"), true);
 * assert.equal(isStandaloneToken("Bearer {{env.TOKEN}}"), false);
 * ```
 */
export function isStandaloneToken(text: string): boolean {
  return _STANDALONE_REGEXP.test(text);
}
