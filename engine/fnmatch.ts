/**
 * Shell-style name matching with the semantics of Python's `fnmatch` (docs/steps.md "Patterns"), shared by
 * external.process success globs, the sftp/smb listing steps and bundle sources: `*` matches any run of characters
 * **including `/`**, `?` one character, `[seq]` one character in seq (ranges like `a-z`), `[!seq]` one character not
 * in seq; an unclosed `[` is a literal. Case-sensitive (POSIX).
 * @module
 */

const _SPECIAL_REGEXP = /[.*+?^${}()|[\]\\/]/g;

/**
 * The regular expression of a pattern, anchored at both ends.
 * @example Usage
 * ```ts
 * import { fnmatchRegExp } from "./fnmatch.ts";
 * import assert from "node:assert/strict";
 * assert.ok(fnmatchRegExp("*.csv").test("in/a.csv"));
 * ```
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = "";
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const ch = pattern[i++]!;
    if (ch === "*") {
      // Consecutive stars mean the same as one.
      if (!out.endsWith(".*")) out += ".*";
    } else if (ch === "?") {
      out += ".";
    } else if (ch === "[") {
      let j = i;
      if (pattern[j] === "!") j++;
      if (pattern[j] === "]") j++;
      while (j < n && pattern[j] !== "]") j++;
      if (j >= n) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i, j);
      i = j + 1;
      if (body === "") {
        out += "(?!)"; // an empty set matches nothing
        continue;
      }
      if (body === "!") {
        out += "."; // a negated empty set matches any character
        continue;
      }
      let negate = false;
      if (body.startsWith("!")) {
        negate = true;
        body = body.slice(1);
      }
      // Inside a JS class `\`, `]`, `[` and a leading `^` are special; `-` keeps its range meaning.
      body = body.replace(/[\\\]\[^]/g, "\\$&");
      out += `[${negate ? "^" : ""}${body}]`;
    } else {
      out += ch.replace(_SPECIAL_REGEXP, "\\$&");
    }
  }
  return new RegExp(`^${out}$`, "s");
}

/** Whether `name` matches `pattern` (the whole name; `*` crosses `/`). */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegExp(pattern).test(name);
}
