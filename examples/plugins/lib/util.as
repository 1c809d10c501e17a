// Small helpers shared by the demo plugins.
import { JKind, JValue, parseJson, quote } from "../../../plugins/sdk/assembly/aetherflow";
import { fsError, listDir, mkdirs, readFile, writeFile } from "../../../plugins/sdk/assembly/fs";
import { endsWithIgnoreCase, upperHeader } from "./text";

/** A JSON list of strings. */
export function jsonStrings(items: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i++) parts.push(quote(items[i]));
  return "[" + parts.join(",") + "]";
}

/** A value as text: strings as they are, numbers and booleans as their JSON text, null as "". */
export function scalarText(v: JValue): string {
  if (v.kind == JKind.Str) return v.str;
  if (v.kind == JKind.Null) return "";
  return v.raw;
}

/** A list input: a JSON list, a JSON list given as a string, or one string (one item). */
export function listInput(v: JValue | null): JValue[] {
  if (v == null || v.kind == JKind.Null) return [];
  if (v.kind == JKind.Arr) return v.items;
  if (v.kind == JKind.Str) {
    const t = v.str.trim();
    if (t.startsWith("[")) {
      const parsed = parseJson(t);
      if (parsed.kind == JKind.Arr) return parsed.items;
    }
    if (t.length == 0) return [];
  }
  return [v];
}

/** A list input as strings (see listInput). */
export function stringList(v: JValue | null): string[] {
  const items = listInput(v);
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) out.push(scalarText(items[i]));
  return out;
}

/** Sort strings by code unit (stable, like Python's sorted on ASCII names). */
export function sortStrings(items: string[]): string[] {
  const out = items.slice(0);
  out.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/** The result of a recursive CSV transform. */
export class TransformResult {
  ok: bool = true;
  error: string = "";
  csvCount: i32 = 0;
}

/**
 * Copy `src` to `dst` recursively (guest paths): `*.csv` (any case) get their header upper-cased (upperHeader),
 * other files are copied byte for byte.
 */
export function transformTree(src: string, dst: string, result: TransformResult): void {
  if (!mkdirs(dst)) {
    result.ok = false;
    result.error = fsError();
    return;
  }
  const entries = listDir(src);
  if (entries == null) {
    result.ok = false;
    result.error = fsError();
    return;
  }
  for (let i = 0; i < entries.length && result.ok; i++) {
    const e = entries[i];
    const from = src + "/" + e.name;
    const to = dst + "/" + e.name;
    if (e.isDir) {
      transformTree(from, to, result);
      continue;
    }
    if (!e.isFile) continue;
    const bytes = readFile(from);
    if (bytes == null) {
      result.ok = false;
      result.error = fsError();
      return;
    }
    let out = bytes;
    if (endsWithIgnoreCase(e.name, ".csv")) {
      const text = String.UTF8.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      out = Uint8Array.wrap(String.UTF8.encode(upperHeader(text)));
      result.csvCount++;
    }
    if (!writeFile(to, out)) {
      result.ok = false;
      result.error = fsError();
      return;
    }
  }
}

/** The message of an `af_connector_call` reply's error, or "" when it succeeded. */
export function replyError(reply: JValue): string {
  const e = reply.get("error");
  if (e != null) return e.kind == JKind.Str ? e.str : e.raw;
  return "";
}

/** The `result` of an `af_connector_call` reply (JSON null when absent). */
export function replyResult(reply: JValue): JValue {
  const r = reply.get("result");
  return r == null ? new JValue(JKind.Null) : r;
}
