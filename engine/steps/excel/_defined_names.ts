// Defined names as the workbook stores them (`<definedNames>` of xl/workbook.xml). exceljs keeps only names that
// point at plain cell ranges and drops their sheet scope, so the fill steps read, adjust and write the list
// themselves (docs/steps.md "Excel: rows inserted into a template").
import { splitSheetRef } from "./_cells.ts";

export interface DefinedName {
  name: string;
  /** Index into the workbook's sheet list for a sheet-scoped name; null for a workbook-level name. */
  localSheetId: number | null;
  /** Every other attribute (hidden, comment, …), written back as read. */
  attrs: Record<string, string>;
  /** The formula text (`Invoice!$A$6:$D$7`, `42`, `OFFSET(…)`). */
  text: string;
}

const _NAME_REGEXP = /<definedName\b([^>]*?)(?:\/>|>([\s\S]*?)<\/definedName>)/g;
const _ATTR_REGEXP = /([\w:.-]+)\s*=\s*"([^"]*)"/g;
const _SHEET_REGEXP = /<sheet\b([^>]*?)\/?>/g;

/** XML entity decoding of attribute values and text. */
export function xmlUnescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

/** XML escaping for text and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

/** The attributes of an XML start tag's attribute text. */
export function parseAttrs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(_ATTR_REGEXP)) out[m[1]!] = xmlUnescape(m[2]!);
  return out;
}

/** The defined names of a workbook.xml text. */
export function parseDefinedNames(workbookXml: string): DefinedName[] {
  const out: DefinedName[] = [];
  for (const m of workbookXml.matchAll(_NAME_REGEXP)) {
    const attrs = parseAttrs(m[1]!);
    const { name, localSheetId, ...rest } = attrs;
    if (name === undefined) continue;
    out.push({
      name,
      localSheetId: localSheetId === undefined ? null : Number(localSheetId),
      attrs: rest,
      text: xmlUnescape(m[2] ?? ""),
    });
  }
  return out;
}

/** The sheet names of a workbook.xml text, in workbook order. */
export function parseSheetNames(workbookXml: string): string[] {
  return [...workbookXml.matchAll(_SHEET_REGEXP)].map((m) => parseAttrs(m[1]!).name ?? "");
}

/** The `<definedNames>` element for a list (empty string when there are none). */
export function renderDefinedNames(names: readonly DefinedName[]): string {
  if (names.length === 0) return "";
  const items = names.map((n) => {
    let attrs = ` name="${xmlEscape(n.name)}"`;
    if (n.localSheetId !== null) attrs += ` localSheetId="${n.localSheetId}"`;
    for (const [k, v] of Object.entries(n.attrs)) attrs += ` ${k}="${xmlEscape(v)}"`;
    return `<definedName${attrs}>${xmlEscape(n.text)}</definedName>`;
  });
  return `<definedNames>${items.join("")}</definedNames>`;
}

/** `text` split on top-level commas (not inside quotes or parentheses). */
function _topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = "";
  for (const ch of text) {
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

/** The `Sheet!A1[:B2]` destinations of a name's text (a constant or a formula has none). */
export function nameDestinations(text: string): { sheet: string; ref: string }[] {
  const out: { sheet: string; ref: string }[] = [];
  for (const part of _topLevelParts(text.replace(/^=/, ""))) {
    const { sheet, ref } = splitSheetRef(part);
    if (sheet === undefined) continue;
    if (!/^\$?[A-Za-z]{1,3}\$?\d+(:\$?[A-Za-z]{1,3}\$?\d+)?$/.test(ref)) continue;
    out.push({ sheet, ref: ref.replaceAll("$", "") });
  }
  return out;
}
