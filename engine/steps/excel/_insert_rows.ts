// Inserting rows into an in-memory template the way Excel does (docs/steps.md "Excel: rows inserted into a
// template"): cells below move down; formulas on every sheet, defined names, merged ranges, data validations,
// conditional formats, the autofilter, tables, images and page breaks follow. exceljs's own spliceRows moves
// cells only (formulas stay as written, range names are split), so the worksheet model is rewritten here.
import type { Workbook, Worksheet } from "exceljs";
import { cellAddress, parseCellAddress, parseRange, rangeText } from "./_cells.ts";
import { type RowInsertion, shiftFormulaRows, shiftSpan } from "./_formula_shift.ts";
import type { TemplateBook } from "./_template.ts";

// deno-lint-ignore no-explicit-any
type _Model = any;

function _shiftAddress(address: string, ins: RowInsertion): string {
  const a = parseCellAddress(address);
  if (!a) return address;
  const s = shiftSpan(a.row, a.row, ins);
  return s ? cellAddress(s[0], a.col) : address;
}

/** Shift each space-separated range of an sqref-like list. */
export function shiftRangeList(list: string, ins: RowInsertion): string {
  return list.split(/\s+/).filter((p) => p !== "").map((part) => {
    const rect = parseRange(part);
    if (!rect) return part;
    const s = shiftSpan(rect.top, rect.bottom, ins);
    return s ? rangeText({ ...rect, top: s[0], bottom: s[1] }) : part;
  }).join(" ");
}

const _UNSHARED = new WeakSet<Workbook>();

/** Turn shared formulas into plain ones (each clone gets its own text) so every formula can be shifted alone. */
function _unshareFormulas(wb: Workbook): void {
  if (_UNSHARED.has(wb)) return;
  _UNSHARED.add(wb);
  for (const ws of wb.worksheets) {
    const plain: [string, string][] = [];
    ws.eachRow((row) =>
      row.eachCell((cell) => {
        const v = cell.value as Record<string, unknown> | null;
        if (v && typeof v === "object" && ("sharedFormula" in v || v.shareType === "shared")) {
          const formula = cell.formula;
          if (typeof formula === "string") plain.push([cell.address, formula]);
        }
      })
    );
    for (const [address, formula] of plain) ws.getCell(address).value = { formula, date1904: false };
  }
}

function _shiftFormulae(formulae: unknown, home: string, ins: RowInsertion): unknown {
  return Array.isArray(formulae)
    ? formulae.map((f) => typeof f === "string" ? shiftFormulaRows(f, home, ins) : f)
    : formulae;
}

function _shiftRows(model: _Model, home: string, ins: RowInsertion, target: boolean): void {
  for (const row of model.rows ?? []) {
    if (target && row.number >= ins.at) row.number += ins.count;
    for (const cell of row.cells ?? []) {
      if (target) {
        cell.address = _shiftAddress(cell.address, ins);
        if (typeof cell.master === "string") cell.master = _shiftAddress(cell.master, ins);
        if (cell.shareType === "array" && typeof cell.ref === "string") {
          cell.ref = shiftRangeList(cell.ref, ins);
        }
      }
      if (typeof cell.formula === "string") cell.formula = shiftFormulaRows(cell.formula, home, ins);
    }
  }
}

function _shiftSheetParts(model: _Model, ins: RowInsertion): void {
  model.mergeCells = (model.merges ?? []).map((m: string) => shiftRangeList(m, ins));
  const validations: Record<string, unknown> = {};
  for (const [address, dv] of Object.entries(model.dataValidations ?? {})) {
    if (dv !== undefined) validations[_shiftAddress(address, ins)] = dv;
  }
  model.dataValidations = validations;
  for (const cf of model.conditionalFormattings ?? []) {
    if (typeof cf.ref === "string") cf.ref = shiftRangeList(cf.ref, ins);
  }
  if (typeof model.autoFilter === "string") model.autoFilter = shiftRangeList(model.autoFilter, ins);
  else if (model.autoFilter && typeof model.autoFilter.from === "string") {
    model.autoFilter.from = _shiftAddress(model.autoFilter.from, ins);
    model.autoFilter.to = _shiftAddress(model.autoFilter.to, ins);
  }
  for (const table of model.tables ?? []) {
    if (typeof table.ref === "string") table.ref = shiftRangeList(table.ref, ins);
    if (typeof table.tableRef === "string") table.tableRef = shiftRangeList(table.tableRef, ins);
  }
  for (const medium of model.media ?? []) {
    for (const end of [medium.range?.tl, medium.range?.br]) {
      // Anchors count rows from 0.
      if (end && typeof end.nativeRow === "number" && end.nativeRow + 1 >= ins.at) end.nativeRow += ins.count;
    }
  }
  for (const brk of model.rowBreaks ?? []) {
    if (typeof brk.id === "number" && brk.id >= ins.at) brk.id += ins.count;
  }
}

function _shiftFormulaParts(model: _Model, home: string, ins: RowInsertion): void {
  const seen = new Set<unknown>();
  for (const dv of Object.values(model.dataValidations ?? {}) as _Model[]) {
    if (!dv || seen.has(dv)) continue;
    seen.add(dv);
    dv.formulae = _shiftFormulae(dv.formulae, home, ins);
  }
  for (const cf of model.conditionalFormattings ?? []) {
    for (const rule of cf.rules ?? []) rule.formulae = _shiftFormulae(rule.formulae, home, ins);
  }
}

function _rewrite(ws: Worksheet, ins: RowInsertion): void {
  const model: _Model = ws.model;
  const target = ws.name === ins.sheet;
  _shiftRows(model, ws.name, ins, target);
  _shiftFormulaParts(model, ws.name, ins);
  if (target) _shiftSheetParts(model, ins);
  else model.mergeCells = model.merges;
  // The model setter re-merges from `mergeCells` but keeps the old merge table: clear it first.
  (ws as unknown as { _merges: Record<string, unknown> })._merges = {};
  ws.model = model;
}

/** Insert `count` empty rows before row `at` of `sheet`, moving and re-pointing everything below. */
export function insertRows(book: TemplateBook, sheet: string, at: number, count: number): void {
  if (count <= 0) return;
  const ins: RowInsertion = { sheet, at, count };
  _unshareFormulas(book.wb);
  for (const ws of book.wb.worksheets) _rewrite(ws, ins);
  // Names always qualify their references; a sheet-scoped one may also point at its own sheet.
  book.names = book.names.map((n) => ({
    ...n,
    text: shiftFormulaRows(n.text, n.localSheetId === null ? "" : book.sheetOrder[n.localSheetId] ?? "", ins),
  }));
}
