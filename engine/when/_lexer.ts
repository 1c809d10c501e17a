/** Tokenizer for `when` expressions (docs/templating.md) [D8]. Hand-written: no eval, no Function. */

/** One token; `col` is the 1-based column of its first character. */
export type Token =
  | { t: "num"; value: number; text: string; col: number }
  | { t: "str"; value: string; col: number }
  | { t: "name"; value: string; col: number }
  | { t: "op"; value: string; col: number }
  | { t: "eof"; col: number };

/** A lexing or parsing failure; becomes `Syntax error: <detail>`. */
export class LexSyntaxError extends Error {
  readonly column: number;
  constructor(detail: string, column: number) {
    super(detail);
    this.name = "LexSyntaxError";
    this.column = column;
  }
}

// Python's operator set is recognised so that unsupported constructs get upstream's node names (docs/templating.md).
const _OPS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "<<",
  ">>",
  ":=",
  "->",
  "+",
  "-",
  "*",
  "/",
  "%",
  "@",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ".",
  ":",
  ";",
  "=",
] as const;

// Sticky (`y`): matched at `lastIndex`, so no per-token copy of the rest of the source is needed.
const _NUMBER_REGEXP = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const _NAME_START_REGEXP = /[\p{L}_]/u;
const _NAME_REGEXP = /[\p{L}_][\p{L}\p{N}_]*/uy;
const _SPACE_REGEXP = /\s/;
const _WORD_CHAR_REGEXP = /[\p{L}\p{N}_]/u;
const _ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
};

/** Split `src` into tokens, ending with one `eof`. Whitespace (newlines included) separates tokens. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (_SPACE_REGEXP.test(ch)) {
      i++;
      continue;
    }
    const col = i + 1;
    _NUMBER_REGEXP.lastIndex = i;
    const num = _NUMBER_REGEXP.exec(src);
    if (num) {
      const after = src[i + num[0].length];
      if (after !== undefined && _WORD_CHAR_REGEXP.test(after)) {
        throw new LexSyntaxError(`invalid number literal ${JSON.stringify(num[0] + after)}`, col);
      }
      out.push({ t: "num", value: Number(num[0]), text: num[0], col });
      i += num[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const [value, next] = _readString(src, i);
      out.push({ t: "str", value, col });
      i = next;
      continue;
    }
    if (_NAME_START_REGEXP.test(ch)) {
      _NAME_REGEXP.lastIndex = i;
      const name = _NAME_REGEXP.exec(src)![0];
      out.push({ t: "name", value: name, col });
      i += name.length;
      continue;
    }
    const op = _OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new LexSyntaxError(`unexpected character ${JSON.stringify(ch)}`, col);
    out.push({ t: "op", value: op, col });
    i += op.length;
  }
  out.push({ t: "eof", col: src.length + 1 });
  return out;
}

// Escapes \\ \' \" \n \t \r; any other backslash pair is kept as written (as Python does).
function _readString(src: string, start: number): [string, number] {
  const quote = src[start]!;
  let value = "";
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === quote) return [value, i + 1];
    if (ch === "\n") break;
    if (ch === "\\" && i + 1 < src.length) {
      const next = src[i + 1]!;
      value += _ESCAPES[next] ?? `\\${next}`;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new LexSyntaxError("unterminated string literal", start + 1);
}
