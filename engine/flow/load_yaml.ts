/**
 * YAML loading with source positions (docs/yaml-spec.md). Parses with YAML 1.1 scalar rules (PyYAML parity); any issue
 * path can be mapped back to `line`/`col`. A clean file of the usual shape is parsed in small chunks
 * (`_chunked_yaml.ts`, bounded memory); a position asked for then re-parses only the chunk it lies in.
 * @module
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";
import { MAX_YAML_NODES, yamlBudgetProblem } from "../yaml_budget.ts";
import type { Issue } from "../types.ts";
import { loadChunked } from "./_chunked_yaml.ts";
import { dateSegment, locatePath } from "./locate_path.ts";

/** Inputs larger than this are refused before parsing (bounded time/memory). */
export const MAX_YAML_BYTES = 10 * 1024 * 1024;
/** Collections nested deeper than this are refused (the parser and every walker recurse). */
export const MAX_YAML_DEPTH = 200;
export { MAX_YAML_NODES };

/** One segment of an issue path: a map key or a list index. */
export type PathSegment = string | number;

/** A source position, 1-based. */
export interface SourcePos {
  line: number;
  col: number;
}

/** The result of {@linkcode loadYaml}. */
export interface LoadedYaml {
  /** The plain JS value (`{}` for an empty or falsy document). Meaningless when `issues` is non-empty. */
  value: unknown;
  /** `yaml:*` errors (and `schema:model_type` for a non-map root). */
  issues: Issue[];
  /** Parser warnings (unresolved tags…); never affect validity. */
  warnings: Issue[];
  /** Non-string map keys found while walking (reported by the schema phase as `schema:string_type`). */
  nonStringKeys: PathSegment[][];
  /**
   * Source position of `path`: the value node, or the key node with `key: true`. When the path does not exist
   * (a missing field) the nearest existing ancestor is returned.
   */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): SourcePos | undefined;
}

/** Options of {@linkcode loadYaml}. */
export interface LoadYamlOptions {
  /** Try the chunked parse first (default true); the result is the same either way. */
  chunked?: boolean;
}

const _NO_POS = (): undefined => undefined;

/**
 * Parse YAML text into a plain value plus issues with line/col.
 * @param text the source text (already decoded)
 * @param file the file name, copied into each issue's `file`
 * @param options.chunked `false` forces the whole-file parse (tests compare both ways)
 */
export function loadYaml(text: string, file: string, options: LoadYamlOptions = {}): LoadedYaml {
  const out: LoadedYaml = { value: {}, issues: [], warnings: [], nonStringKeys: [], locate: _NO_POS };
  const guard = checkSourceText(text);
  if (guard) {
    out.issues.push({ ...guard, file });
    return out;
  }
  // The parser recurses per nesting level (about 1,000 levels overflow the stack): refuse deep input first.
  if (_flowNestingDepth(text) + _blockNestingDepth(text) > MAX_YAML_DEPTH) {
    out.issues.push(_tooDeep(file));
    return out;
  }
  // The usual flow parses in small pieces (bounded parser memory); a position re-parses only its chunk.
  const chunked = options.chunked === false ? undefined : loadChunked(text, MAX_YAML_DEPTH);
  if (chunked) {
    let parsed: _Parsed | undefined;
    out.value = chunked.value;
    out.locate = (path, opts) => {
      const wantKey = opts?.key ?? false;
      if (!parsed) {
        try {
          const found = chunked.locate(path, wantKey);
          if (found) return found.pos;
        } catch {
          // Not expected; the whole document gives the same answer.
        }
        parsed = _parse(text);
      }
      return locatePath(parsed.doc, path, { wantKey, pos: parsed.pos });
    };
    return out;
  }
  let parsed: _Parsed;
  try {
    parsed = _parse(text);
  } catch (err) {
    out.issues.push(_parserCrash(err, file));
    return out;
  }
  const { doc, pos } = parsed;
  // The yaml package can report one problem twice (same code, offset and message): list each once.
  const seen = new Set<string>();
  const firstTime = (e: { code: string; pos: [number, number]; message: string }) => {
    const key = `${e.code}\0${e.pos[0]}\0${e.pos[1]}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const e of doc.errors) {
    // The composer catches its own stack overflow; report it as the nesting guard would.
    if (e.message.includes("Maximum call stack size exceeded")) {
      out.issues.push(_tooDeep(file));
      return out;
    }
    if (!firstTime(e)) continue;
    const p = e.linePos?.[0] ?? pos(e.pos[0]);
    out.issues.push({
      code: "yaml:syntax",
      loc: `${p.line}:${p.col}`,
      msg: _plain(e.message),
      line: p.line,
      col: p.col,
      file,
    });
  }
  for (const w of doc.warnings) {
    if (!firstTime(w)) continue;
    const p = w.linePos?.[0] ?? pos(w.pos[0]);
    out.warnings.push({
      code: "yaml:warning",
      loc: `${p.line}:${p.col}`,
      msg: _plain(w.message),
      line: p.line,
      col: p.col,
      file,
    });
  }
  out.locate = (path, options) => locatePath(doc, path, { wantKey: options?.key ?? false, pos });
  if (out.issues.length > 0) return out;

  const walk = _walk(doc, pos, file);
  if (walk.tooDeep) {
    out.issues.push(_tooDeep(file));
    return out;
  }
  out.issues.push(...walk.duplicates);
  out.nonStringKeys = walk.nonStringKeys;
  if (out.issues.length > 0) return out;

  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    out.issues.push(_parserCrash(err, file));
    return out;
  }
  // docs/yaml-spec.md: an empty or falsy document is an empty flow.
  if (!value || (Array.isArray(value) && value.length === 0)) value = {};
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Date) {
    out.issues.push({
      code: "schema:model_type",
      loc: "<root>",
      msg: "Input should be a valid dictionary or instance of FlowSpec",
      file,
    });
    const p = doc.contents?.range ? pos(doc.contents.range[0]) : undefined;
    if (p) Object.assign(out.issues[out.issues.length - 1]!, { line: p.line, col: p.col });
  }
  out.value = value;
  return out;
}

interface _Parsed {
  doc: Document.Parsed;
  pos: (offset: number) => SourcePos;
}

function _parse(text: string): _Parsed {
  const lc = new LineCounter();
  // uniqueKeys off: duplicates are found by our own walk, which knows the key's path (loc) [ours].
  const doc = parseDocument(text, {
    ...YAML11_OPTIONS,
    lineCounter: lc,
    prettyErrors: true,
    uniqueKeys: false,
  });
  return { doc, pos: (offset) => lc.linePos(offset) };
}

/**
 * Refuse inputs that are not text or are too big, before any parsing: returns an issue or undefined.
 * `text` is a decoded string; NUL characters mean binary data.
 */
export function checkSourceText(text: string): Omit<Issue, "file"> | undefined {
  // String length counts UTF-16 units; close enough to bytes for a coarse guard, and checked before parsing.
  if (text.length > MAX_YAML_BYTES) {
    return {
      code: "yaml:too_large",
      loc: "<root>",
      msg: `File too large: ${text.length} bytes, limit is ${MAX_YAML_BYTES} bytes`,
    };
  }
  if (text.includes("\u0000")) {
    return { code: "yaml:binary", loc: "<root>", msg: "File is not text: it contains NUL bytes" };
  }
  const tooMany = yamlBudgetProblem(text);
  if (tooMany) return { code: "yaml:too_many_nodes", loc: "<root>", msg: tooMany };
  return undefined;
}

/** Decode file bytes as strict UTF-8 (a BOM is dropped); invalid UTF-8 or NUL bytes give an issue instead. */
export function decodeSource(bytes: Uint8Array): { text: string } | { issue: Omit<Issue, "file"> } {
  if (bytes.length > MAX_YAML_BYTES) {
    return {
      issue: {
        code: "yaml:too_large",
        loc: "<root>",
        msg: `File too large: ${bytes.length} bytes, limit is ${MAX_YAML_BYTES} bytes`,
      },
    };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { issue: { code: "yaml:binary", loc: "<root>", msg: "File is not valid UTF-8 text" } };
  }
  const issue = checkSourceText(text);
  return issue ? { issue } : { text };
}

// prettyErrors appends " at line L, column C:" and a source snippet; loc/line/col already say where.
const _PRETTY_TAIL_REGEXP = / at line \d+, column \d+:\n[\s\S]*$/;

function _plain(message: string): string {
  return message.replace(_PRETTY_TAIL_REGEXP, "");
}

function _tooDeep(file: string): Issue {
  return {
    code: "yaml:too_deep",
    loc: "<root>",
    msg: `YAML nesting is deeper than ${MAX_YAML_DEPTH} levels`,
    file,
  };
}

function _parserCrash(err: unknown, file: string): Issue {
  const msg = err instanceof RangeError
    ? `YAML nesting is too deep to parse`
    : err instanceof Error
    ? err.message
    : String(err);
  return { code: "yaml:syntax", loc: "<root>", msg, file };
}

// Cheap pre-scan so `[[[[…` a million deep never reaches the recursive parser. Quotes are skipped roughly;
// over-counting only makes us refuse absurd inputs earlier.
function _flowNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\n") quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl;
    } else if (c === "[" || c === "{") {
      depth++;
      if (depth > max) max = depth;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return max;
}

// Indentation levels currently open plus `- ` markers on a line; block scalars only over-count, which is fine
// for a guard whose limit no real flow comes near.
function _blockNestingDepth(text: string): number {
  const stack: number[] = [];
  let max = 0;
  for (const line of text.split("\n")) {
    const body = line.trimStart();
    if (body === "" || body.startsWith("#")) continue;
    const indent = line.length - body.length;
    while (stack.length > 0 && stack[stack.length - 1]! >= indent) stack.pop();
    stack.push(indent);
    let dashes = 0;
    for (
      let i = 0;
      i + 1 < body.length && body[i] === "-" && (body[i + 1] === " " || body[i + 1] === "\t");
      i += 2
    ) dashes++;
    max = Math.max(max, stack.length + dashes);
  }
  return max;
}

interface _WalkResult {
  duplicates: Issue[];
  nonStringKeys: PathSegment[][];
  tooDeep: boolean;
}

function _walk(doc: Document.Parsed, pos: (o: number) => SourcePos, file: string): _WalkResult {
  const res: _WalkResult = { duplicates: [], nonStringKeys: [], tooDeep: false };
  // Iterative walk: the depth check itself must not overflow the stack.
  const stack: { node: unknown; path: PathSegment[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (path.length > MAX_YAML_DEPTH) {
      res.tooDeep = true;
      return res;
    }
    const children: { node: unknown; path: PathSegment[] }[] = [];
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const raw = isScalar(key) ? key.value : key;
        // YAML 1.1 merge key (the `yaml` package gives its value as a symbol); toJS() applies the merge.
        if (isScalar(key) && key.source === "<<" && (raw === "<<" || typeof raw === "symbol")) continue;
        const seg = _segment(raw);
        if (typeof raw !== "string") res.nonStringKeys.push([...path, seg]);
        if (raw === "__proto__") {
          // zod (and any plain-object copy) would turn it into the prototype: the entry would vanish silently.
          const p = isScalar(key) && key.range ? pos(key.range[0]) : undefined;
          res.duplicates.push({
            code: "yaml:forbidden_key",
            loc: formatLoc([...path, seg]),
            msg: "Key __proto__ is not allowed",
            ...(p ? { line: p.line, col: p.col } : {}),
            file,
          });
        }
        const id = typeof raw === "string" ? `s:${raw}` : `o:${String(raw)}`;
        if (seen.has(id)) {
          const p = isScalar(key) && key.range ? pos(key.range[0]) : undefined;
          res.duplicates.push({
            code: "yaml:duplicate_key",
            loc: formatLoc([...path, seg]),
            msg: `Duplicate key: ${String(raw)}`,
            ...(p ? { line: p.line, col: p.col } : {}),
            file,
          });
        }
        seen.add(id);
        children.push({ node: pair.value, path: [...path, seg] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => children.push({ node: item, path: [...path, i] }));
    }
    // Reverse so issues come out in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return res;
}

function _segment(raw: unknown): PathSegment {
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" && Number.isInteger(raw)) return raw;
  if (raw instanceof Date) return dateSegment(raw);
  if (isScalar(raw)) return String(raw.value);
  return String(raw);
}

/** Format a path the way issues show it: keys joined by `.`, indices as `[n]`, empty -> `<root>` (docs/yaml-spec.md). */
export function formatLoc(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out === "" ? "<root>" : out;
}

/** Best-effort inverse of {@linkcode formatLoc} (keys containing `.` or `[` cannot round-trip). */
export function parseLoc(loc: string): PathSegment[] {
  if (loc === "<root>") return [];
  const out: PathSegment[] = [];
  for (const part of loc.split(".")) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}
