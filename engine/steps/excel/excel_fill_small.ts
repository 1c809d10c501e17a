/**
 * `excel_fill_small`: JSON rows into regions of a template (docs/steps.md "excel_fill_small"). The template is
 * read, never written; the result goes to `<output>.tmp`, renamed over `output`.
 * @module
 */
import type { z } from "zod";
import { StepError } from "../../errors.ts";
import { fields, toText } from "../../inputs/mod.ts";
import type { JsonObject } from "../../types.ts";
import { defineStep, type StepContext } from "../types.ts";
import { isNamedAnchor } from "./_anchor.ts";
import { rowCaster, type TypeCast } from "./_cast.ts";
import {
  countValue,
  dtypeMap,
  FillSession,
  jsonList,
  lenientInt,
  markerDefaults,
  sessionOptions,
} from "./_fill.ts";
import { COMMON_TARGET_KEYS, pickChoice, targetChoiceIssues, targetPrefix } from "./_target_inputs.ts";
import { loadTemplate } from "./_template.ts";
import type { CellValue } from "./_values.ts";
import { writeSession } from "./_write_session.ts";

const _TYPE = "excel_fill_small";

const _TARGET = fields.map({
  ...COMMON_TARGET_KEYS,
  rows_json: fields.jsonish(),
  columns_json: fields.jsonish(),
}, { required: true });

type _Target = z.output<typeof _TARGET>;

const _CHOICE_KEYS = [
  "insert",
  "header_mode",
  "header_style",
  "anchor_clear_mode",
  "type_cast",
  "style_mode",
  "style_apply",
] as const;

/** Plan and apply one target; returns its `written` entry. */
function _fillTarget(session: FillSession, t: _Target): JsonObject {
  const p = targetPrefix(_TYPE, t.name);
  // 1. Early guards on the declared row count.
  const declared = countValue(t.row_count);
  if (declared !== undefined && t.max_rows !== null && declared > t.max_rows) {
    throw new StepError(`${p}row_count=${declared} exceed max_rows=${t.max_rows}`);
  }
  if (declared !== undefined && t.max_total_rows !== null && declared > t.max_total_rows) {
    throw new StepError(`${p}row_count=${declared} exceed max_total_rows=${t.max_total_rows}`);
  }
  // 2. Where, and what.
  const hasAnchor = t.anchor !== null && t.anchor !== "";
  const hasCell = t.cell !== null && t.cell !== "";
  if (hasAnchor === hasCell) throw new StepError(`${p}must set exactly one of anchor OR cell`);
  const rows = jsonList(t.rows_json, `${p}rows_json must be valid JSON`) ?? [];
  if (rows.some((r) => !Array.isArray(r))) {
    throw new StepError(`${p}rows_json must be a list of rows (lists)`);
  }
  const columns = (jsonList(t.columns_json, `${p}columns_json must be valid JSON`) ?? []).map(toText);
  const { ws, row: rAnchor, col: c0 } = session.resolve({ anchor: t.anchor, cell: t.cell, sheet: t.sheet });
  // 3. Choices.
  const insert = pickChoice(p, "insert", t.insert, "replace");
  const headerMode = pickChoice(p, "header_mode", t.header_mode, "template");
  const headerStyle = pickChoice(p, "header_style", t.header_style, "template");
  // 4. Start row.
  const { marker, templateHasHeader } = markerDefaults(
    { anchor: t.anchor, named: isNamedAnchor(session.book, t.anchor), markerByDefault: true },
    t,
  );
  const r0 = marker ? rAnchor + 1 : rAnchor;
  // 5. Anchor clearing (values only).
  if (t.anchor_clear && hasAnchor) {
    const mode = pickChoice(p, "anchor_clear_mode", t.anchor_clear_mode, "cell");
    session.clearValues(ws, rAnchor, c0, mode === "row" ? t.anchor_clear_width : 1);
  }
  // 6. Cast every row before anything moves.
  const dtypes = dtypeMap(t.dtypes, t.dtypes_json, `${p}dtypes must be a dict`);
  const typeCast = pickChoice(
    p,
    "type_cast",
    t.type_cast,
    Object.keys(dtypes).length > 0 ? "schema" : "none",
  ) as TypeCast;
  const cast = rowCaster(typeCast, columns, dtypes);
  const data: CellValue[][] = rows.map((r) => cast(r as unknown[]));
  // 7. Header and data start.
  const headerWritten = (headerMode === "override" || headerMode === "append") && columns.length > 0;
  const dataStart = headerWritten || templateHasHeader ? r0 + 1 : r0;
  // 8. Guards.
  const width = Math.max(headerWritten ? columns.length : 0, ...data.map((r) => r.length));
  if (t.max_rows !== null && data.length > t.max_rows) {
    throw new StepError(`${p}data rows exceed max_rows=${t.max_rows}`);
  }
  const total = (headerWritten || templateHasHeader ? 1 : 0) + data.length;
  if (t.max_total_rows !== null && total > t.max_total_rows) {
    throw new StepError(`${p}total rows exceed max_total_rows=${t.max_total_rows}`);
  }
  if (t.max_cols !== null && width > t.max_cols) {
    throw new StepError(`${p}cols exceed max_cols=${t.max_cols}`);
  }
  // 9. Room for the block.
  if (insert === "below") {
    if (templateHasHeader) session.insertRows(ws, dataStart, data.length, p);
    else session.insertRows(ws, r0, data.length + (headerWritten ? 1 : 0), p);
  }
  // 10. Styles: the style row is read in the sheet as it is now.
  const styleMode = pickChoice(p, "style_mode", t.style_mode, "none");
  const styleApply = pickChoice(p, "style_apply", t.style_apply, "data");
  const styleRow = styleMode === "copy_row" && width > 0
    ? (marker ? rAnchor : r0) + t.style_row_offset
    : null;
  // 11. Header clear, overlap.
  if (headerWritten && t.header_clear) {
    session.clearValues(ws, r0, c0, lenientInt(t.header_clear_width, Math.max(columns.length, width)));
  }
  const rect = { top: r0, left: c0, bottom: r0 + Math.max(total, 1) - 1, right: c0 + Math.max(width, 1) - 1 };
  session.place(t.name, ws.name, rect);
  // 12. Header, then the data block.
  if (headerWritten) {
    const fromStyle = styleRow !== null && (styleApply === "header" || styleApply === "both");
    session.writeHeader(ws, r0, c0, columns, fromStyle ? styleRow : null);
  }
  session.regions.push({
    sheet: ws.name,
    top: dataStart,
    left: c0,
    reservedRows: data.length,
    styleRow: styleRow !== null && (styleApply === "data" || styleApply === "both") ? styleRow : null,
    label: p,
    open: () => Promise.resolve([data]),
  });
  // 13. Clear the style row, never the cells this target writes.
  if (t.clear_style_row && styleRow !== null) {
    if (styleRow >= rect.top && styleRow <= rect.bottom) {
      session.warn(`${p}clear_style_row skipped: style row ${styleRow} lies inside the written block`);
    } else session.clearValues(ws, styleRow, c0, width);
  }
  return {
    name: t.name,
    sheet: ws.name,
    rows: total,
    cols: width,
    insert,
    header_mode: headerMode,
    header_style: headerStyle,
    type_cast: typeCast,
    style_mode: styleMode,
    start_cell: [r0, c0],
    template_has_header: templateHasHeader,
  };
}

export const excelFillSmallStep = defineStep({
  type: _TYPE,
  origin: "builtin",
  inputs: fields.fixedMap({
    template_path: fields.path(),
    output: fields.path(),
    targets: fields.list(_TARGET, { required: true }),
  }),
  validate: (raw) => targetChoiceIssues(_TYPE, raw, _CHOICE_KEYS),
  async run(input, ctx: StepContext) {
    const template = await ctx.paths.resolve(input.template_path);
    const output = await ctx.paths.resolve(input.output);
    const book = await loadTemplate(template);
    const session = new FillSession(book, { ...sessionOptions(ctx, _TYPE), warn: (m) => ctx.log.warn(m) });
    const written = input.targets.map((t) => _fillTarget(session, t));
    await writeSession(session, { output, scratchDir: ctx.scratchDir, signal: ctx.signal });
    return { outputs: { output, written } };
  },
});
