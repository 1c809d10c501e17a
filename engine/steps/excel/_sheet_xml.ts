// The parts of SpreadsheetML the fill steps rewrite: a worksheet's rows (as exceljs writes them), cell XML for
// written values, and the cell formats of xl/styles.xml (a date needs a date number format, docs/steps.md
// "Excel: how values are written").
import { columnNumber } from "./_cells.ts";
import { parseAttrs, xmlEscape } from "./_defined_names.ts";
import type { CellValue, XlDate } from "./_values.ts";

export const MAX_CELL_TEXT = 32767;

export interface SheetCell {
  col: number;
  /** Cell format index, null for the default. */
  s: number | null;
  xml: string;
}

export interface SheetRow {
  /** Row attributes without `r` and `spans`. */
  attrs: string;
  cells: SheetCell[];
}

/** A worksheet split around its rows: `head` ends with `<sheetData>`, `tail` starts with `</sheetData>`. */
export interface ParsedSheet {
  head: string;
  rows: Map<number, SheetRow>;
  tail: string;
}

const _ROW_REGEXP = /<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g;
const _CELL_REGEXP = /<c\b([^>]*?)(?:\/>|>[\s\S]*?<\/c>)/g;
const _R_REGEXP = /\br="([A-Z]+)(\d+)"/;
const _S_REGEXP = /\bs="(\d+)"/;

/** Split a worksheet's XML into head, rows and tail. */
export function parseSheet(xml: string): ParsedSheet {
  const selfClosing = xml.indexOf("<sheetData/>");
  if (selfClosing >= 0) {
    return {
      head: `${xml.slice(0, selfClosing)}<sheetData>`,
      rows: new Map(),
      tail: `</sheetData>${xml.slice(selfClosing + "<sheetData/>".length)}`,
    };
  }
  const open = xml.indexOf("<sheetData>");
  const close = xml.lastIndexOf("</sheetData>");
  if (open < 0 || close < 0) throw new Error("worksheet XML without sheetData");
  const body = xml.slice(open + "<sheetData>".length, close);
  const rows = new Map<number, SheetRow>();
  for (const m of body.matchAll(_ROW_REGEXP)) {
    const attrs = parseAttrs(m[1]!);
    const r = Number(attrs.r);
    const cells: SheetCell[] = [];
    for (const c of (m[2] ?? "").matchAll(_CELL_REGEXP)) {
      const ref = _R_REGEXP.exec(c[1]!);
      if (!ref) continue;
      const s = _S_REGEXP.exec(c[1]!);
      cells.push({ col: columnNumber(ref[1]!), s: s ? Number(s[1]) : null, xml: c[0] });
    }
    const kept = m[1]!.replace(/\s*\br="\d+"/, "").replace(/\s*\bspans="[^"]*"/, "");
    rows.set(r, { attrs: kept, cells });
  }
  return { head: xml.slice(0, open + "<sheetData>".length), rows, tail: xml.slice(close) };
}

const _BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57]);

/** Whether a number format shows a date or time. */
export function isDateFormatCode(code: string): boolean {
  const bare = code.replace(/"[^"]*"/g, "").replace(/\\./g, "").replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, "");
  return /[dmyhs]/i.test(bare.replace(/General/gi, "").replace(/E[+-]/g, ""));
}

const _XF_BLOCK_REGEXP = /<cellXfs\b[^>]*>([\s\S]*?)<\/cellXfs>/;
const _XF_REGEXP = /<xf\b[^>]*?(?:\/>|>[\s\S]*?<\/xf>)/g;
const _NUMFMT_REGEXP = /<numFmt\b([^>]*?)\/>/g;

/** The cell formats of styles.xml, with date variants added on demand. */
export class StyleBook {
  #xml: string;
  #xfs: string[];
  #formats = new Map<number, string>();
  #added: { id: number; code: string }[] = [];
  #variants = new Map<string, number>();

  constructor(stylesXml: string) {
    this.#xml = stylesXml;
    this.#xfs = [..._XF_BLOCK_REGEXP.exec(stylesXml)?.[1]?.matchAll(_XF_REGEXP) ?? []].map((m) => m[0]);
    for (const m of stylesXml.matchAll(_NUMFMT_REGEXP)) {
      const a = parseAttrs(m[1]!);
      this.#formats.set(Number(a.numFmtId), a.formatCode ?? "");
    }
  }

  #isDate(numFmtId: number): boolean {
    if (_BUILTIN_DATE_FORMATS.has(numFmtId)) return true;
    const code = this.#formats.get(numFmtId);
    return code !== undefined && isDateFormatCode(code);
  }

  #formatId(code: string): number {
    for (const [id, c] of this.#formats) if (c === code) return id;
    const id = Math.max(163, ...this.#formats.keys()) + 1;
    this.#formats.set(id, code);
    this.#added.push({ id, code });
    return id;
  }

  /** The format to use for a date written into a cell of format `s`: `s` when it already shows dates. */
  dateStyle(s: number | null, dateOnly: boolean): number {
    const base = s ?? 0;
    const key = `${base}/${dateOnly}`;
    const known = this.#variants.get(key);
    if (known !== undefined) return known;
    const xf = this.#xfs[base] ?? '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>';
    const numFmtId = Number(/\bnumFmtId="(\d+)"/.exec(xf)?.[1] ?? 0);
    let out = base;
    if (!this.#isDate(numFmtId)) {
      const id = this.#formatId(dateOnly ? "yyyy-mm-dd" : "yyyy-mm-dd h:mm:ss");
      let variant = /\bnumFmtId="\d+"/.test(xf)
        ? xf.replace(/\bnumFmtId="\d+"/, `numFmtId="${id}"`)
        : xf.replace(/^<xf\b/, `<xf numFmtId="${id}"`);
      variant = /\bapplyNumberFormat="/.test(variant)
        ? variant.replace(/\bapplyNumberFormat="[^"]*"/, 'applyNumberFormat="1"')
        : variant.replace(/^<xf\b/, '<xf applyNumberFormat="1"');
      this.#xfs.push(variant);
      out = this.#xfs.length - 1;
    }
    this.#variants.set(key, out);
    return out;
  }

  /** styles.xml with the added formats, or undefined when nothing was added. */
  render(): string | undefined {
    if (this.#added.length === 0 && this.#variants.size === 0) return undefined;
    let xml = this.#xml.replace(
      _XF_BLOCK_REGEXP,
      `<cellXfs count="${this.#xfs.length}">${this.#xfs.join("")}</cellXfs>`,
    );
    if (this.#added.length > 0) {
      const items = this.#added.map((f) => `<numFmt numFmtId="${f.id}" formatCode="${xmlEscape(f.code)}"/>`);
      const block = /<numFmts\b[^>]*>([\s\S]*?)<\/numFmts>/.exec(xml);
      if (block) {
        const all = [...block[1]!.matchAll(_NUMFMT_REGEXP)].map((m) => m[0]).concat(items);
        xml = xml.replace(block[0], `<numFmts count="${all.length}">${all.join("")}</numFmts>`);
      } else {
        // numFmts is the first child of styleSheet.
        xml = xml.replace(
          /(<styleSheet\b[^>]*>)/,
          `$1<numFmts count="${items.length}">${items.join("")}</numFmts>`,
        );
      }
    }
    return xml;
  }
}

// XML 1.0 cannot carry these control characters; OOXML writes them as _xHHHH_.
// deno-lint-ignore no-control-regex
const _NEEDS_ESCAPE_REGEXP = /[&<>\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_x[0-9A-Fa-f]{4}_/;
// deno-lint-ignore no-control-regex
const _ESCAPE_REGEXP = /[&<>\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/g;

/** Text as cell-string XML: entities, a line feed as `&#10;` (the row line files are line-based), and
 * characters XML cannot carry as `_xHHHH_` (as Excel writes them; a literal `_xHHHH_` is escaped too). */
export function cellTextXml(text: string): string {
  if (!_NEEDS_ESCAPE_REGEXP.test(text)) return text;
  return text.replace(_ESCAPE_REGEXP, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case "\n":
        return "&#10;";
      case "_":
        return "_x005F_";
      default:
        return `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`;
    }
  });
}

function _s(x: number | null): string {
  return x === null || x === 0 ? "" : ` s="${x}"`;
}

/**
 * The XML of one written cell, or "" for an empty cell without a format. Throws a plain Error for text over
 * Excel's cell limit (the caller names the target and position).
 */
export function cellXml(ref: string, v: CellValue, s: number | null, styles: StyleBook): string {
  switch (typeof v) {
    case "string": {
      if (v.length > MAX_CELL_TEXT) {
        throw new Error(`text longer than Excel's ${MAX_CELL_TEXT}-character cell limit`);
      }
      const space = v.length > 0 && (v.trim().length !== v.length) ? ' xml:space="preserve"' : "";
      return `<c r="${ref}"${_s(s)} t="inlineStr"><is><t${space}>${cellTextXml(v)}</t></is></c>`;
    }
    case "number":
      if (!Number.isFinite(v)) return s === null || s === 0 ? "" : `<c r="${ref}"${_s(s)}/>`;
      return `<c r="${ref}"${_s(s)}><v>${v}</v></c>`;
    case "bigint":
      return `<c r="${ref}"${_s(s)}><v>${v}</v></c>`;
    case "boolean":
      return `<c r="${ref}"${_s(s)} t="b"><v>${v ? 1 : 0}</v></c>`;
  }
  if (v === null) return s === null || s === 0 ? "" : `<c r="${ref}"${_s(s)}/>`;
  const d = v as XlDate;
  return `<c r="${ref}"${_s(styles.dateStyle(s, d.dateOnly))}><v>${d.serial()}</v></c>`;
}
