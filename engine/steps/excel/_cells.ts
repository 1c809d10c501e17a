// A1-style cell references: column letters, `Sheet!A1` parsing, ranges (docs/steps.md "Excel anchors").
// Excel's limits: columns A..XFD (16384), rows 1..1048576.

export const MAX_COL = 16384;
export const MAX_ROW = 1048576;

const _CELL_REF_REGEXP = /^\$?([A-Za-z]{1,3})\$?(\d{1,7})$/;
const _RANGE_REGEXP = /^\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?$/;

/** 1 -> `A`, 28 -> `AB`. */
export function columnLetters(col: number): string {
  let out = "";
  let n = col;
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** `AB` -> 28 (case-free). */
export function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/** `B3` for (3, 2). */
export function cellAddress(row: number, col: number): string {
  return `${columnLetters(col)}${row}`;
}

/** `A1`, `$B$2` (case-free) -> {row, col}, or undefined when it is not a cell reference within Excel's grid. */
export function parseCellAddress(text: string): { row: number; col: number } | undefined {
  const m = _CELL_REF_REGEXP.exec(text.trim());
  if (!m) return undefined;
  const col = columnNumber(m[1]!);
  const row = Number(m[2]);
  if (col < 1 || col > MAX_COL || row < 1 || row > MAX_ROW) return undefined;
  return { row, col };
}

/** A rectangle, 1-based and inclusive. */
export interface Rect {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** `A1:C3` or `A1` -> a rectangle (normalised so top <= bottom, left <= right). */
export function parseRange(text: string): Rect | undefined {
  const m = _RANGE_REGEXP.exec(text.trim());
  if (!m) return undefined;
  const r1 = Number(m[2]);
  const c1 = columnNumber(m[1]!);
  const r2 = m[4] === undefined ? r1 : Number(m[4]);
  const c2 = m[3] === undefined ? c1 : columnNumber(m[3]);
  return {
    top: Math.min(r1, r2),
    bottom: Math.max(r1, r2),
    left: Math.min(c1, c2),
    right: Math.max(c1, c2),
  };
}

/** `A1:C3` (or `A1` for a single cell). */
export function rangeText(rect: Rect): string {
  const a = cellAddress(rect.top, rect.left);
  return rect.top === rect.bottom && rect.left === rect.right
    ? a
    : `${a}:${cellAddress(rect.bottom, rect.right)}`;
}

/**
 * Split `Sheet!A1`, `'My Sheet'!$A$1` into the sheet name (quotes removed, `''` -> `'`) and the rest; no `!` ->
 * sheet undefined.
 */
export function splitSheetRef(text: string): { sheet?: string; ref: string } {
  const t = text.trim();
  const bang = t.lastIndexOf("!");
  if (bang < 0) return { ref: t };
  let sheet = t.slice(0, bang);
  if (sheet.length >= 2 && sheet.startsWith("'") && sheet.endsWith("'")) {
    sheet = sheet.slice(1, -1).replaceAll("''", "'");
  }
  return { sheet, ref: t.slice(bang + 1) };
}

/** A sheet name as it must appear in a formula or defined name (`'My Sheet'` when quoting is needed). */
export function quoteSheetName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) && parseCellAddress(name) === undefined
    ? name
    : `'${name.replaceAll("'", "''")}'`;
}
