// Where a fill target starts (docs/steps.md "Excel: anchors"): a defined name, a cell reference, or a cell whose
// text matches, searched case-insensitively.
import type { Worksheet } from "exceljs";
import { StepError } from "../../errors.ts";
import { parseCellAddress, parseRange, splitSheetRef } from "./_cells.ts";
import { nameDestinations } from "./_defined_names.ts";
import { cellText, normaliseText, type TemplateBook } from "./_template.ts";

export const MAX_SEARCH_CELLS = 10_000;

export interface AnchorTarget {
  anchor: string | null;
  cell: string | null;
  sheet: string | null;
}

export interface AnchorOptions {
  /** Enterprise mode requires `sheet` for a text search. */
  enterprise: boolean;
  /** Fill the sample of anchor-like cells in the not-found message (log level DEBUG). */
  debug: boolean;
}

/** A resolved start: the sheet and 1-based row/column. */
export interface Anchored {
  ws: Worksheet;
  row: number;
  col: number;
}

const _CELL_LIKE_REGEXP = /^(?:(.+)!)?\$?[A-Za-z]{1,3}\$?\d{1,7}$/;

function _sheet(book: TemplateBook, name: string): Worksheet {
  const ws = book.wb.getWorksheet(name);
  if (!ws) throw new StepError(`Worksheet ${name} does not exist.`);
  return ws;
}

/** Whether `raw` is exactly a workbook-level defined name (decides the marker defaults). */
export function isNamedAnchor(book: TemplateBook, raw: string | null): boolean {
  return raw !== null && book.names.some((n) => n.localSheetId === null && n.name === raw);
}

function _byName(book: TemplateBook, anchor: string): Anchored | undefined {
  const name = book.names.find((n) => n.localSheetId === null && n.name === anchor);
  if (!name) return undefined;
  for (const dest of nameDestinations(name.text)) {
    const ws = book.wb.getWorksheet(dest.sheet);
    const rect = parseRange(dest.ref);
    if (ws && rect) return { ws, row: rect.top, col: rect.left };
  }
  return undefined;
}

function _byCellRef(book: TemplateBook, text: string, sheet: string | null): Anchored {
  const { sheet: inRef, ref } = splitSheetRef(text);
  const addr = parseCellAddress(ref);
  if (!addr) throw new StepError(`Invalid Excel cell reference: ${text}`);
  const name = inRef ?? sheet;
  if (name === null || name === "") {
    throw new StepError(
      "Excel target requires sheet when using cell like 'A1' (set sheet or use 'Sheet!A1')",
    );
  }
  return { ws: _sheet(book, name), ...addr };
}

function _maxRowCol(ws: Worksheet): { rows: number; cols: number } {
  return { rows: ws.rowCount, cols: ws.columnCount };
}

function _byText(book: TemplateBook, anchor: string, sheet: string | null): Anchored | undefined {
  const want = anchor.toLowerCase();
  const only = sheet === null ? undefined : book.wb.getWorksheet(sheet);
  const sheets = only ? [only] : book.wb.worksheets;
  let scanned = 0;
  for (const ws of sheets) {
    const { rows, cols } = _maxRowCol(ws);
    let found: Anchored | undefined;
    let over = false;
    ws.eachRow((row, r) => {
      if (found || over) return;
      row.eachCell((cell, c) => {
        if (found || over) return;
        // Every cell from A1 counts, empty ones too: this is the position in the row-major scan.
        if (scanned + (r - 1) * cols + c > MAX_SEARCH_CELLS) {
          over = true;
          return;
        }
        const t = cellText(cell.value);
        if (t && normaliseText(t.text).toLowerCase() === want) found = { ws, row: r, col: c };
      });
    });
    if (found) return found;
    scanned += rows * cols;
    if (over || scanned > MAX_SEARCH_CELLS) {
      throw new StepError(
        `Excel anchor search exceeded max_cells=${MAX_SEARCH_CELLS}. Use named range or specify sheet.`,
      );
    }
  }
  return undefined;
}

function _sample(book: TemplateBook): string[] {
  const out: string[] = [];
  for (const ws of book.wb.worksheets) {
    ws.eachRow((row) =>
      row.eachCell((cell) => {
        const t = cellText(cell.value);
        if (t?.isString && /anchor/i.test(t.text) && out.length < 20) {
          out.push(`${ws.name}!${cell.address}=${t.text}`);
        }
      })
    );
  }
  return out;
}

/**
 * Resolve a target's anchor or cell to (sheet, row, column).
 * @throws {StepError} with the anchor messages of docs/steps.md.
 */
export function resolveAnchor(book: TemplateBook, target: AnchorTarget, options: AnchorOptions): Anchored {
  if (target.anchor !== null && target.anchor !== "") {
    const anchor = normaliseText(target.anchor);
    const named = _byName(book, anchor);
    if (named) return named;
    const cellLike = _CELL_LIKE_REGEXP.exec(anchor);
    if (cellLike) return _byCellRef(book, anchor, target.sheet);
    if (options.enterprise && (target.sheet === null || target.sheet === "")) {
      throw new StepError(
        "Excel anchor text search requires 'sheet' in enterprise mode. Use named range or set sheet.",
      );
    }
    const found = _byText(book, anchor, target.sheet);
    if (found) return found;
    const sheets = book.wb.worksheets.map((ws) => ws.name);
    const sample = options.debug ? _sample(book) : [];
    throw new StepError(
      `Excel anchor not found: '${target.anchor}'. Workbook sheets=${JSON.stringify(sheets)}. ` +
        `ANCHOR-like cells(sample)=${JSON.stringify(sample)}`,
    );
  }
  if (target.cell !== null && target.cell !== "") return _byCellRef(book, target.cell.trim(), target.sheet);
  throw new StepError("Excel target requires either anchor (named range / anchor text) or cell");
}
