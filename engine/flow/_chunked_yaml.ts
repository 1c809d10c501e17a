// Fast path of loadYaml for the common shape of a flow file: a block map at column 0 whose big entries are
// block sequences (`jobs:`). Each top-level entry, and each run of sequence items, is parsed on its own, so
// the parser's CST and Document stay small and short-lived instead of holding the whole file at once (CST
// about 38 MB plus Document about 18 MB for the 785 KiB, 2,000-job bench flow, which set the peak RSS of
// `validate`). Positions are not needed on this path: loadYaml parses the whole file lazily when an issue
// has to be located.
//
// It only answers when the result is certain to equal the whole-file parse: any YAML error or warning, alias,
// anchor, merge key, non-string or duplicate key, directive, document marker, tab indentation or unusual
// line break makes it return undefined, and loadYaml parses the whole file as before (which then produces
// the exact issues). Each chunk boundary also has a sanity check: a chunk must parse to exactly the entry or
// the number of items its lines announce, so a boundary that cut through a scalar or a flow collection fails
// (and falls back) instead of giving another value.
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";
import { locatePath, nodePos } from "./locate_path.ts";
import type { PathSegment, SourcePos } from "./load_yaml.ts";

// Target size of one chunk of sequence items, in UTF-16 units. Small chunks keep each piece's parser state
// young: what is alive at a scavenge gets promoted, and enough promotion doubles V8's young generation.
// Measured through the CLI on the 2,000-job bench flow, peak RSS: whole file ~210 MB, 4 KiB chunks ~175 MB,
// 1–2 KiB ~120–140 MB, one item per chunk ~155 MB.
const _CHUNK_CHARS = 1024;
// Chunks re-parsed for positions before the caller is told to parse the whole file instead.
const _MAX_LOCATE_CHUNKS = 64;
// A plain top-level key line: `key:` then a space, a tab or the end of the line.
const _ROOT_KEY_REGEXP = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]|\r?$)/;
// A header whose value is on the next lines: `key:` plus an optional comment.
const _BARE_HEADER_REGEXP = /^[A-Za-z_][A-Za-z0-9_-]*:[ ]*(?:[ ]#.*)?\r?$/;
// Line breaks other than \n and \r\n (YAML 1.1 also breaks on NEL, LS, PS): the line split below would differ.
const _ODD_BREAK_REGEXP = /\r(?!\n)|[\u0085\u2028\u2029]/;

interface _Entry {
  key: string;
  /** Offsets of the entry's first line and just past its last line. */
  start: number;
  end: number;
  /**
   * Start offsets of the items when the value is a block sequence on the lines after a bare `key:` header;
   * undefined when the entry is parsed whole. Plain numbers, no per-line objects: what the loader keeps
   * alive while the parser churns counts towards the peak.
   */
  items?: number[];
  /** Indentation of the sequence's dashes, once the first item is seen. */
  seqIndent?: number;
}

/** A chunked parse: the value, and positions found by re-parsing only the chunk a path leads to. */
export interface ChunkedYaml {
  value: Record<string, unknown>;
  /**
   * What the whole-file document would answer for `path` (see `LoadedYaml.locate`), wrapped; undefined
   * means "ask the whole document" (after many chunks were needed, one whole parse is cheaper).
   */
  locate(path: readonly PathSegment[], wantKey: boolean): { pos: SourcePos | undefined } | undefined;
}

/**
 * The value of `text` (a map) when the chunked parse is certain to equal a whole-file parse with no issues,
 * no warnings and no non-string keys; otherwise undefined.
 */
export function loadChunked(text: string, maxDepth: number): ChunkedYaml | undefined {
  try {
    return _loadChunked(text, maxDepth);
  } catch {
    // Whatever went wrong, the whole-file parse reports it the usual way.
    return undefined;
  }
}

function _loadChunked(text: string, maxDepth: number): ChunkedYaml | undefined {
  if (_ODD_BREAK_REGEXP.test(text)) return undefined;
  const entries = _rootEntries(text);
  if (!entries) return undefined;
  const root: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.key === "__proto__" || seen.has(entry.key)) return undefined;
    seen.add(entry.key);
    const value = _loadEntry(text, entry, maxDepth);
    if (value === undefined) return undefined;
    root[entry.key] = value.value;
  }
  return { value: root, locate: _locator(text, entries) };
}

function _locator(text: string, entries: readonly _Entry[]): ChunkedYaml["locate"] {
  let lc: LineCounter | undefined;
  // Absolute positions: the parser reports a line start after every `\n` (checked against the whole parse).
  const pos = (offset: number): SourcePos => {
    if (!lc) {
      lc = new LineCounter();
      lc.addNewLine(0);
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lc.addNewLine(i + 1);
    }
    return lc.linePos(offset);
  };
  // Parsed chunks are kept, so an issue per job does not re-parse per issue; past _MAX_LOCATE_CHUNKS the
  // whole document is cheaper (time and memory) and the caller takes over.
  const parsed = new Map<number, { doc: Document.Parsed; pos: (o: number) => SourcePos }>();
  const groupsOf = new Map<_Entry, _Group[]>();
  const parseAt = (start: number, end: number) => {
    let hit = parsed.get(start);
    if (!hit) {
      const doc = _parseChunk(text.slice(start, end));
      if (!doc) throw new Error("chunk no longer parses"); // loadYaml then asks the whole document
      hit = { doc, pos: (o: number) => pos(o + start) };
      parsed.set(start, hit);
    }
    return hit;
  };
  return (path, wantKey) => {
    if (parsed.size >= _MAX_LOCATE_CHUNKS) {
      parsed.clear();
      return undefined;
    }
    return { pos: locate(path, wantKey) };
  };

  function locate(path: readonly PathSegment[], wantKey: boolean): SourcePos | undefined {
    const rootPos = pos(entries[0]!.start);
    if (path.length === 0) return rootPos;
    const entry = entries.findLast((e) => e.key === String(path[0]));
    if (!entry) return rootPos;
    if (!_isSplit(entry)) {
      const { doc, pos: chunkPos } = parseAt(entry.start, entry.end);
      return locatePath(doc, path, { wantKey, pos: chunkPos });
    }
    const keyPos = pos(entry.start);
    if (path.length === 1 && wantKey) return keyPos;
    let groups = groupsOf.get(entry);
    if (!groups) groupsOf.set(entry, groups = _groupItems({ starts: entry.items, end: entry.end }));
    const first = parseAt(groups[0]!.start, groups[0]!.end);
    const best = nodePos(first.doc.contents, first.pos) ?? keyPos;
    const seg = path[1];
    if (typeof seg !== "number") return best;
    const group = groups.find((g) => g.index <= seg && seg < g.index + g.count);
    if (!group) return best;
    const { doc, pos: chunkPos } = parseAt(group.start, group.end);
    const item = isSeq(doc.contents) ? doc.contents.items[seg - group.index] : undefined;
    if (item === undefined) return best;
    const start = { node: item, index: 2, best: nodePos(item, chunkPos) ?? best };
    return locatePath(doc, path, { wantKey, pos: chunkPos, start });
  }
}

function _isSplit(entry: _Entry): entry is _Entry & { items: number[] } {
  return entry.items !== undefined && entry.items.length > 0;
}

function _rootEntries(text: string): _Entry[] | undefined {
  const entries: _Entry[] = [];
  let current: _Entry | undefined;
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl + 1;
    const lineEnd = nl < 0 ? text.length : nl;
    let at = start;
    while (at < lineEnd && (text[at] === " " || text[at] === "\t")) at++;
    const indent = at - start;
    const first = text[at];
    // Blank or comment-only lines belong to whatever entry is open.
    const blank = at === lineEnd || first === "#" || (first === "\r" && at + 1 === lineEnd);
    if (!blank && text.slice(start, at).includes("\t")) {
      return undefined; // tab indentation: an error or another structure; the whole-file parse decides
    }
    const next = text[at + 1];
    const dash = first === "-" &&
      (at + 1 === lineEnd || next === " " || (next === "\r" && at + 2 === lineEnd));
    const lineStart = start;
    start = end;
    if (blank) {
      if (current) current.end = end;
      continue;
    }
    if (indent > 0 || dash) {
      // A continuation line (a `- ` at column 0 is a compact sequence item of the current entry).
      if (!current) return undefined;
      current.end = end;
      _trackItem(current, { lineStart, indent, dash });
      continue;
    }
    const body = text.slice(lineStart, lineEnd);
    const m = _ROOT_KEY_REGEXP.exec(body);
    if (!m) return undefined; // directives, document markers, flow or complex roots, odd keys
    current = { key: m[1]!, start: lineStart, end, ...(_BARE_HEADER_REGEXP.test(body) ? { items: [] } : {}) };
    entries.push(current);
  }
  return entries.length > 0 ? entries : undefined;
}

/** Follow the sequence under a bare header: every line at the dashes' indentation must start an item. */
function _trackItem(entry: _Entry, line: { lineStart: number; indent: number; dash: boolean }): void {
  if (!entry.items) return;
  if (entry.seqIndent === undefined) {
    if (!line.dash) {
      delete entry.items; // a map or a scalar: parse the entry whole
      return;
    }
    entry.seqIndent = line.indent;
  }
  if (line.indent > entry.seqIndent) return;
  if (line.indent < entry.seqIndent || !line.dash) {
    delete entry.items;
    return;
  }
  entry.items.push(line.lineStart);
}

function _loadEntry(text: string, entry: _Entry, maxDepth: number): { value: unknown } | undefined {
  if (!_isSplit(entry)) {
    const doc = _parseChunk(text.slice(entry.start, entry.end));
    if (!doc || !isMap(doc.contents) || doc.contents.flow || doc.contents.items.length !== 1) {
      return undefined;
    }
    const pair = doc.contents.items[0]!;
    if (!isScalar(pair.key) || pair.key.value !== entry.key) return undefined;
    if (!_isPlain(pair.value, 1, maxDepth)) return undefined;
    return { value: (doc.toJS() as Record<string, unknown>)[entry.key] };
  }
  // The key of a split entry is parsed on its own so YAML 1.1 words (`yes:`, `null:`) are caught.
  const keyDoc = _parseChunk(`${entry.key}: 0\n`);
  if (!keyDoc || !isMap(keyDoc.contents)) return undefined;
  const keyNode = keyDoc.contents.items[0]?.key;
  if (!isScalar(keyNode) || keyNode.value !== entry.key) return undefined;
  const value: unknown[] = [];
  for (const chunk of _groupItems({ starts: entry.items, end: entry.end })) {
    const doc = _parseChunk(text.slice(chunk.start, chunk.end));
    if (!doc || !isSeq(doc.contents) || doc.contents.flow || doc.contents.items.length !== chunk.count) {
      return undefined;
    }
    // Depth 2: the root map and this sequence sit above each item, as in the whole file.
    for (const item of doc.contents.items) if (!_isPlain(item, 2, maxDepth)) return undefined;
    value.push(...(doc.toJS() as unknown[]));
  }
  return { value };
}

interface _Group {
  start: number;
  end: number;
  /** Index of the group's first item in the whole sequence. */
  index: number;
  count: number;
}

function _groupItems(items: { starts: readonly number[]; end: number }): _Group[] {
  const out: _Group[] = [];
  let i = 0;
  while (i < items.starts.length) {
    const start = items.starts[i]!;
    let j = i + 1;
    while (j < items.starts.length && items.starts[j]! - start < _CHUNK_CHARS) j++;
    out.push({ start, end: j < items.starts.length ? items.starts[j]! : items.end, index: i, count: j - i });
    i = j;
  }
  return out;
}

function _parseChunk(chunk: string): Document.Parsed | undefined {
  let doc: Document.Parsed;
  try {
    doc = parseDocument(chunk, { ...YAML11_OPTIONS, uniqueKeys: false });
  } catch {
    return undefined;
  }
  return doc.errors.length > 0 || doc.warnings.length > 0 ? undefined : doc;
}

/**
 * No alias, anchor, merge key, `__proto__`, non-string or duplicate key, nothing deeper than `maxDepth`
 * (counted as loadYaml's walk counts paths): whatever loadYaml's own walk would report.
 */
function _isPlain(node: unknown, depth: number, maxDepth: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node, depth }];
  while (stack.length > 0) {
    const { node: cur, depth: d } = stack.pop()!;
    if (d > maxDepth) return false;
    if (isAlias(cur)) return false;
    if (cur && typeof cur === "object" && (cur as Node).anchor) return false;
    if (isMap(cur)) {
      const keys = new Set<string>();
      for (const pair of cur.items) {
        const key = pair.key;
        if (!isScalar(key) || typeof key.value !== "string" || key.anchor) return false;
        const name = key.value;
        if (name === "__proto__" || name === "<<" || keys.has(name)) return false;
        keys.add(name);
        stack.push({ node: pair.value, depth: d + 1 });
      }
    } else if (isSeq(cur)) {
      for (const item of cur.items) stack.push({ node: item, depth: d + 1 });
    }
  }
  return true;
}
