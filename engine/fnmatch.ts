/**
 * Shell-style name matching with Python `fnmatch.fnmatchcase` semantics, the one matcher of the engine (the file
 * steps, external.process success globs, bundle sources; docs/steps.md "Patterns"): `*` matches any run of characters **including `/`**, `?` one character,
 * `[abc]` / `[a-z]` a set, `[!abc]` its complement, a `[` without its closing `]` is literal; case-sensitive.
 * @module
 */

const _cache = new Map<string, RegExp>();

// Inside a set `-` and `/` need escaping; outside one, the `u` flag refuses `\-`.
function _escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

function _escapeLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** The body of a `[...]` set starting after `[`, or null when it never closes (then `[` is literal). */
function _set(pattern: string, start: number): { regex: string; end: number } | null {
  let j = start;
  if (pattern[j] === "!") j++;
  if (pattern[j] === "]") j++; // a leading `]` is a member
  while (j < pattern.length && pattern[j] !== "]") j++;
  if (j >= pattern.length) return null;
  let body = pattern.slice(start, j);
  const negate = body.startsWith("!");
  if (negate) body = body.slice(1);
  // Members are literal except `a-z` ranges; a reversed range matches nothing (as in Python).
  let out = "";
  for (let k = 0; k < body.length; k++) {
    const c = body[k]!;
    if (body[k + 1] === "-" && k + 2 < body.length) {
      const hi = body[k + 2]!;
      if (c <= hi) out += `${_escape(c)}-${_escape(hi)}`;
      k += 2;
    } else {
      out += _escape(c);
    }
  }
  if (out === "") return { regex: negate ? "[^]" : "(?!)", end: j + 1 };
  return { regex: negate ? `[^${out}]` : `[${out}]`, end: j + 1 };
}

/** The pattern as an anchored RegExp (cached). */
export function fnmatchRegExp(pattern: string): RegExp {
  const hit = _cache.get(pattern);
  if (hit) return hit;
  let re = "";
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === "*") {
      while (pattern[i] === "*") i++;
      re += "[^]*";
    } else if (c === "?") {
      re += "[^]";
      i++;
    } else if (c === "[") {
      const set = _set(pattern, i + 1);
      if (set === null) {
        re += "\\[";
        i++;
      } else {
        re += set.regex;
        i = set.end;
      }
    } else {
      re += _escapeLiteral(c);
      i++;
    }
  }
  const out = new RegExp(`^${re}$`, "u");
  if (_cache.size > 512) _cache.clear();
  _cache.set(pattern, out);
  return out;
}

/** Whether `name` matches `pattern` (Python `fnmatch.fnmatchcase`). */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchRegExp(pattern).test(name);
}

/** Whether `text` holds a pattern character (`*`, `?`, `[`). */
export function hasGlobChars(text: string): boolean {
  return /[*?[]/.test(text);
}
