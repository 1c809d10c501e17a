/**
 * Recursive-descent parser for `when` with Python's precedence (docs/templating.md) [D8]. It accepts more than
 * the `when` language so that unsupported Python constructs are named like upstream's AST allow-list
 * (`Unsupported node: BinOp`, docs/templating.md); `_check.ts` rejects them.
 */
import { LexSyntaxError, type Token, tokenize } from "./_lexer.ts";

/** A literal value of the language. */
export type Literal = string | number | boolean | null;

/** Raw syntax tree, including constructs the language rejects. `col` is 1-based. */
export type RawNode =
  | { k: "lit"; value: Literal; col: number }
  | { k: "name"; id: string; col: number }
  | { k: "path"; segs: string[]; col: number }
  | { k: "attr"; value: RawNode; col: number }
  | { k: "bool"; op: "and" | "or"; values: RawNode[]; col: number }
  | { k: "not"; operand: RawNode; col: number }
  | { k: "cmp"; left: RawNode; ops: { op: string; col: number }[]; rights: RawNode[]; col: number }
  | { k: "bad"; node: string; kids: RawNode[]; col: number };

const _LITERAL_NAMES: Readonly<Record<string, Literal>> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  null: null,
};

// Python keywords that never start or continue an expression of ours: a syntax error, like Python.
const _RESERVED = new Set([
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "import",
  "lambda",
  "nonlocal",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
  "and",
  "or",
  "not",
  "in",
  "is",
  "if",
  "else",
]);

const _BINARY_LEVELS: readonly (readonly string[])[] = [
  ["|"],
  ["^"],
  ["&"],
  ["<<", ">>"],
  ["+", "-"],
  ["*", "/", "//", "%", "@"],
];

const _COMPARE_OPS: ReadonlySet<string> = new Set(["==", "!=", "<", "<=", ">", ">="]);

const _UNARY_NODES: Readonly<Record<string, string>> = { "-": "USub", "+": "UAdd", "~": "Invert" };

/** Parse `src` (not blank) into a raw tree; throws LexSyntaxError on anything Python could not parse. */
export function parseRaw(src: string): RawNode {
  return new _Parser(tokenize(src)).parseTop();
}

class _Parser {
  #toks: Token[];
  #pos = 0;
  constructor(toks: Token[]) {
    this.#toks = toks;
  }

  parseTop(): RawNode {
    const node = this.#exprList("eof");
    this.#expectEof();
    return node;
  }

  #peek(offset = 0): Token {
    return this.#toks[Math.min(this.#pos + offset, this.#toks.length - 1)]!;
  }
  #next(): Token {
    const tok = this.#peek();
    if (tok.t !== "eof") this.#pos++;
    return tok;
  }
  #isOp(value: string, offset = 0): boolean {
    const tok = this.#peek(offset);
    return tok.t === "op" && tok.value === value;
  }
  #isWord(value: string, offset = 0): boolean {
    const tok = this.#peek(offset);
    return tok.t === "name" && tok.value === value;
  }
  #expectOp(value: string): Token {
    if (!this.#isOp(value)) throw this.#unexpected(`expected '${value}'`);
    return this.#next();
  }
  #expectEof(): void {
    if (this.#peek().t !== "eof") throw this.#unexpected();
  }
  #unexpected(hint?: string): LexSyntaxError {
    const tok = this.#peek();
    let what: string;
    if (tok.t === "eof") what = "unexpected end of expression";
    else if (tok.t === "op" && tok.value === "=") what = "unexpected '=' (use '==' to compare)";
    else if (tok.t === "str") what = `unexpected string ${JSON.stringify(tok.value)}`;
    else if (tok.t === "num") what = `unexpected number ${tok.text}`;
    else what = `unexpected '${tok.value}'`;
    return new LexSyntaxError(hint ? `${what}, ${hint}` : what, tok.col);
  }

  // test ("," test)* [","]: a bare comma list is a Tuple in Python's eval mode.
  #exprList(close: string, openCol?: number): RawNode {
    const first = this.#test();
    if (!this.#isOp(",")) return first;
    const items = [first];
    while (this.#isOp(",")) {
      this.#next();
      if (this.#atClose(close)) break;
      items.push(this.#test());
    }
    return { k: "bad", node: "Tuple", kids: items, col: openCol ?? first.col };
  }
  #atClose(close: string): boolean {
    return close === "eof" ? this.#peek().t === "eof" : this.#isOp(close);
  }

  #test(): RawNode {
    const body = this.#orTest();
    if (!this.#isWord("if")) return body;
    this.#next();
    const cond = this.#orTest();
    if (!this.#isWord("else")) throw this.#unexpected("expected 'else'");
    this.#next();
    const orelse = this.#test();
    return { k: "bad", node: "IfExp", kids: [body, cond, orelse], col: body.col };
  }

  #orTest(): RawNode {
    return this.#boolChain("or", () => this.#andTest());
  }
  #andTest(): RawNode {
    return this.#boolChain("and", () => this.#notTest());
  }
  #boolChain(op: "and" | "or", operand: () => RawNode): RawNode {
    const first = operand();
    if (!this.#isWord(op)) return first;
    const values = [first];
    while (this.#isWord(op)) {
      this.#next();
      values.push(operand());
    }
    return { k: "bool", op, values, col: first.col };
  }

  #notTest(): RawNode {
    if (!this.#isWord("not")) return this.#comparison();
    const tok = this.#next();
    return { k: "not", operand: this.#notTest(), col: tok.col };
  }

  #comparison(): RawNode {
    const left = this.#binary(0);
    const ops: { op: string; col: number }[] = [];
    const rights: RawNode[] = [];
    for (;;) {
      const op = this.#compareOp();
      if (op === undefined) break;
      ops.push(op);
      rights.push(this.#binary(0));
    }
    return ops.length === 0 ? left : { k: "cmp", left, ops, rights, col: left.col };
  }
  #compareOp(): { op: string; col: number } | undefined {
    const tok = this.#peek();
    if (tok.t === "op" && _COMPARE_OPS.has(tok.value)) {
      this.#next();
      return { op: tok.value, col: tok.col };
    }
    if (this.#isWord("in")) {
      this.#next();
      return { op: "In", col: tok.col };
    }
    if (this.#isWord("not") && this.#isWord("in", 1)) {
      this.#next();
      this.#next();
      return { op: "NotIn", col: tok.col };
    }
    if (this.#isWord("is")) {
      this.#next();
      if (this.#isWord("not")) {
        this.#next();
        return { op: "IsNot", col: tok.col };
      }
      return { op: "Is", col: tok.col };
    }
    return undefined;
  }

  // Left-associative binary levels from `|` down to `*`; every one is upstream's `BinOp`.
  #binary(level: number): RawNode {
    if (level >= _BINARY_LEVELS.length) return this.#factor();
    let left = this.#binary(level + 1);
    const ops = _BINARY_LEVELS[level]!;
    while (ops.some((op) => this.#isOp(op))) {
      this.#next();
      const right = this.#binary(level + 1);
      left = { k: "bad", node: "BinOp", kids: [left, right], col: left.col };
    }
    return left;
  }

  #factor(): RawNode {
    const tok = this.#peek();
    if (tok.t === "op" && tok.value in _UNARY_NODES) {
      this.#next();
      const next = this.#peek();
      // A minus directly on a number literal is a negative number [D8]; on anything else it is USub.
      if (tok.value === "-" && next.t === "num" && !this.#isOp("**", 1)) {
        const operand = this.#power();
        if (operand.k === "lit" && typeof operand.value === "number") {
          return { k: "lit", value: -operand.value, col: tok.col };
        }
        return { k: "bad", node: "USub", kids: [operand], col: tok.col };
      }
      const operand = this.#factor();
      return { k: "bad", node: _UNARY_NODES[tok.value]!, kids: [operand], col: tok.col };
    }
    return this.#power();
  }

  #power(): RawNode {
    const base = this.#primary();
    if (!this.#isOp("**")) return base;
    this.#next();
    const exp = this.#factor();
    return { k: "bad", node: "BinOp", kids: [base, exp], col: base.col };
  }

  #primary(): RawNode {
    let node = this.#atom();
    for (;;) {
      if (this.#isOp(".")) {
        this.#next();
        const name = this.#peek();
        if (name.t !== "name") throw this.#unexpected("expected a name after '.'");
        this.#next();
        node = _attribute(node, name.value);
      } else if (this.#isOp("(")) {
        const kids = this.#items("(", ")");
        node = { k: "bad", node: "Call", kids: [node, ...kids], col: node.col };
      } else if (this.#isOp("[")) {
        const kids = this.#items("[", "]", true);
        node = { k: "bad", node: "Subscript", kids: [node, ...kids], col: node.col };
      } else {
        return node;
      }
    }
  }

  // Comma-separated items up to `close`; `:` separators are tolerated for slices and dicts.
  #items(open: string, close: string, allowColon = false): RawNode[] {
    this.#expectOp(open);
    const kids: RawNode[] = [];
    while (!this.#isOp(close)) {
      kids.push(this.#test());
      if (this.#isOp(",") || (allowColon && this.#isOp(":"))) this.#next();
      else if (!this.#isOp(close)) throw this.#unexpected(`expected '${close}'`);
    }
    this.#next();
    return kids;
  }

  #atom(): RawNode {
    const tok = this.#peek();
    switch (tok.t) {
      case "num":
        this.#next();
        return { k: "lit", value: tok.value, col: tok.col };
      case "str":
        this.#next();
        return { k: "lit", value: tok.value, col: tok.col };
      case "name":
        if (Object.hasOwn(_LITERAL_NAMES, tok.value)) {
          this.#next();
          return { k: "lit", value: _LITERAL_NAMES[tok.value]!, col: tok.col };
        }
        if (_RESERVED.has(tok.value)) throw this.#unexpected();
        this.#next();
        return { k: "name", id: tok.value, col: tok.col };
      case "op":
        if (tok.value === "(") return this.#paren();
        if (tok.value === "[") {
          return { k: "bad", node: "List", kids: this.#items("[", "]"), col: tok.col };
        }
        if (tok.value === "{") return this.#braces();
        throw this.#unexpected();
      default:
        throw this.#unexpected();
    }
  }

  #paren(): RawNode {
    const open = this.#next();
    if (this.#isOp(")")) {
      this.#next();
      return { k: "bad", node: "Tuple", kids: [], col: open.col };
    }
    const inner = this.#exprList(")", open.col);
    this.#expectOp(")");
    return inner;
  }

  // `{}` and `{k: v}` are Dict, `{a, b}` is Set (Python's names).
  #braces(): RawNode {
    const open = this.#peek();
    const isDict = this.#isOp("}", 1) || this.#colonBeforeComma();
    const kids = this.#items("{", "}", true);
    return { k: "bad", node: isDict ? "Dict" : "Set", kids, col: open.col };
  }
  #colonBeforeComma(): boolean {
    let depth = 0;
    for (let i = this.#pos + 1; i < this.#toks.length; i++) {
      const tok = this.#toks[i]!;
      if (tok.t !== "op") continue;
      if (["(", "[", "{"].includes(tok.value)) depth++;
      else if ([")", "]", "}"].includes(tok.value)) {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && tok.value === ":") return true;
      else if (depth === 0 && tok.value === ",") return false;
    }
    return false;
  }
}

// `jobs.<id>…` grows a path; attributes on anything else are kept for the checker.
function _attribute(base: RawNode, attr: string): RawNode {
  if (base.k === "name" && base.id === "jobs") return { k: "path", segs: [attr], col: base.col };
  if (base.k === "path") return { k: "path", segs: [...base.segs, attr], col: base.col };
  return { k: "attr", value: base, col: base.col };
}
