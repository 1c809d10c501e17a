// Path -> source position over a yaml Document (shared by the whole-file and the chunked loaders).
import { type Document, isAlias, isMap, isScalar, isSeq, type Node } from "yaml";
import type { PathSegment, SourcePos } from "./load_yaml.ts";

/** Where a walk starts: `node` reached after `path[0..index)`, with `best` the position so far. */
export interface LocateStart {
  node: unknown;
  index: number;
  best: SourcePos | undefined;
}

/**
 * Position of `path` (the key node with `wantKey`), or of the nearest existing ancestor. `pos` maps an
 * offset in `doc`'s source to a position; `start` resumes a walk part-way (default: the document root).
 */
export function locatePath(
  doc: Document.Parsed,
  path: readonly PathSegment[],
  options: { wantKey: boolean; pos: (o: number) => SourcePos; start?: LocateStart },
): SourcePos | undefined {
  const { wantKey, pos } = options;
  let node: unknown = options.start ? options.start.node : doc.contents;
  let best: SourcePos | undefined = options.start ? options.start.best : nodePos(node, pos);
  for (let i = options.start?.index ?? 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      // The last matching pair wins, as in toJS.
      const pair = node.items.findLast((p) => {
        const k = isScalar(p.key) ? p.key.value : p.key;
        return String(k instanceof Date ? dateSegment(k) : k) === String(seg);
      });
      if (!pair) return best;
      const keyPos = nodePos(pair.key, pos);
      const valPos = nodePos(pair.value, pos);
      if (last && wantKey) return keyPos ?? best;
      best = valPos ?? keyPos ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return best;
      best = nodePos(item, pos) ?? best;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

/** The start position of a node, when it has a range. */
export function nodePos(node: unknown, pos: (o: number) => SourcePos): SourcePos | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as Node).range;
    if (range) return pos(range[0]);
  }
  return undefined;
}

/** A YAML 1.1 date key as a path segment (`2024-01-02`). */
export function dateSegment(date: Date): string {
  return date.toISOString().slice(0, 10);
}
