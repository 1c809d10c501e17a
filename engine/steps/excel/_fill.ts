// What both fill steps do to the in-memory template per target: resolve the start, insert rows, clear values,
// write and style the header, remember the data block (a Region written later by the WorkbookWriter), check
// overlaps, freeze panes and autofilters (docs/steps.md "excel_fill_small", "excel_fill_from_file").
import type { Cell, Worksheet } from "exceljs";
import { StepError } from "../../errors.ts";
import { parseBool } from "../../config/settings.ts";
import { asInt } from "../../inputs/mod.ts";
import { type AnchorTarget, resolveAnchor } from "./_anchor.ts";
import { cellAddress, rangeText, type Rect } from "./_cells.ts";
import { insertRows } from "./_insert_rows.ts";
import type { TemplateBook } from "./_template.ts";
import type { Region } from "./_xlsx_writer.ts";

export interface SessionOptions {
  enterprise: boolean;
  debug: boolean;
  stepType: string;
  warn?: (message: string) => void;
}

interface _Placed {
  name: string;
  rect: Rect;
}

/** The header_clear_width / anchor_clear_width style of integer: unparsable -> fallback. */
export function lenientInt(value: unknown, fallback: number): number {
  const n = asInt(value);
  return n === undefined || n < 1 ? fallback : n;
}

/** Copy a cell's format (font, fill, border, alignment, number format, protection) onto another. */
export function copyCellStyle(src: Cell, dst: Cell): void {
  try {
    dst.style = structuredClone(src.style ?? {});
  } catch {
    // A format that cannot be copied is skipped, as upstream did.
  }
}

/** One fill run over one in-memory template. */
export class FillSession {
  readonly book: TemplateBook;
  readonly regions: Region[] = [];
  readonly autofilters = new Map<string, Rect>();
  #options: SessionOptions;
  #placed = new Map<string, _Placed[]>();

  constructor(book: TemplateBook, options: SessionOptions) {
    this.book = book;
    this.#options = options;
  }

  warn(message: string): void {
    this.#options.warn?.(message);
  }

  resolve(target: AnchorTarget): { ws: Worksheet; row: number; col: number } {
    return resolveAnchor(this.book, target, this.#options);
  }

  /**
   * Insert rows as Excel does; data blocks, overlap rectangles and autofilters of earlier targets below move too.
   * @throws {StepError} when the rows would split an earlier target's data block.
   */
  insertRows(ws: Worksheet, at: number, count: number, prefix: string): void {
    if (count <= 0) return;
    for (const r of this.regions) {
      if (r.sheet !== ws.name) continue;
      const bottom = r.top + (r.reservedRows ?? Infinity) - 1;
      if (at > r.top && at <= bottom) {
        throw new StepError(
          `${prefix}inserting rows at row ${at} would split the data written at row ${r.top}`,
        );
      }
      if (r.top >= at) r.top += count;
      if (r.styleRow !== null && r.styleRow >= at) r.styleRow += count;
    }
    for (const p of this.#placed.get(ws.name) ?? []) {
      if (p.rect.top >= at) {
        p.rect.top += count;
        p.rect.bottom += count;
      } else if (p.rect.bottom >= at) p.rect.bottom += count;
    }
    const af = this.autofilters.get(ws.name);
    if (af && af.top >= at) {
      this.autofilters.set(ws.name, { ...af, top: af.top + count, bottom: af.bottom + count });
    }
    insertRows(this.book, ws.name, at, count);
  }

  /** Clear the values (keeping formats) of `width` cells of `row` from `col`. */
  clearValues(ws: Worksheet, row: number, col: number, width: number): void {
    const r = ws.findRow(row);
    if (!r) return;
    for (let c = col; c < col + width; c++) {
      const cell = r.findCell(c);
      if (cell && cell.value !== null) cell.value = null;
    }
  }

  /** Write the header texts at (row, col); with `styleRow`, each header cell takes that row's format. */
  writeHeader(
    ws: Worksheet,
    row: number,
    col: number,
    header: readonly string[],
    styleRow: number | null,
  ): void {
    header.forEach((text, j) => {
      const cell = ws.getCell(row, col + j);
      cell.value = text;
      if (styleRow !== null) copyCellStyle(ws.getCell(styleRow, col + j), cell);
    });
  }

  /** Bold on each header cell, keeping the rest of its font. */
  boldHeader(ws: Worksheet, row: number, col: number, width: number): void {
    for (let c = col; c < col + width; c++) {
      const cell = ws.getCell(row, c);
      cell.font = { ...(cell.font ?? {}), bold: true };
    }
  }

  /** Freeze rows above `row` and columns left of `col`. */
  freeze(ws: Worksheet, row: number, col: number): void {
    ws.views = [{
      state: "frozen",
      xSplit: col - 1,
      ySplit: row - 1,
      topLeftCell: cellAddress(row, col),
    }];
  }

  /** An autofilter over `rect`; written as given (exceljs gets a placeholder until the data is written). */
  autofilter(ws: Worksheet, rect: Rect): void {
    ws.autoFilter = rangeText(rect);
    this.autofilters.set(ws.name, rect);
  }

  /**
   * Record a target's rectangle; an overlap with an earlier target on the same sheet is an error.
   * @throws {StepError} `<step> targets overlap: name=<n> sheet=<s> rect=<…> prev=<…>`.
   */
  place(name: string, sheet: string, rect: Rect): void {
    const placed = this.#placed.get(sheet) ?? [];
    for (const p of placed) {
      const hit = rect.top <= p.rect.bottom && p.rect.top <= rect.bottom && rect.left <= p.rect.right &&
        p.rect.left <= rect.right;
      if (hit) {
        throw new StepError(
          `${this.#options.stepType} targets overlap: name=${name} sheet=${sheet} rect=${_rect(rect)} ` +
            `prev=${p.name} ${_rect(p.rect)}`,
        );
      }
    }
    placed.push({ name, rect: { ...rect } });
    this.#placed.set(sheet, placed);
  }
}

function _rect(r: Rect): string {
  return `(${r.top},${r.left})-(${r.bottom},${r.right})`;
}

/** Marker defaults: whether the anchor row is a marker above the block, and whether a header row is reserved. */
export function markerDefaults(
  options: { anchor: string | null; named: boolean; markerByDefault: boolean },
  given: { anchor_is_marker: boolean | null; template_has_header: boolean | null },
): { marker: boolean; templateHasHeader: boolean } {
  const hasAnchor = options.anchor !== null && options.anchor !== "";
  const marker = given.anchor_is_marker ?? (hasAnchor && !options.named && options.markerByDefault);
  const templateHasHeader = given.template_has_header ?? (hasAnchor && marker && options.markerByDefault);
  return { marker, templateHasHeader };
}

/** A `row_count`-like value: an integer or a digit string, else undefined. */
export function countValue(value: unknown): number | undefined {
  if (typeof value === "boolean") return undefined;
  const n = asInt(value);
  return n === undefined || n < 0 ? undefined : n;
}

/** A JSON-ish list input (`rows_json`, `columns_json`, `columns`): undefined when absent; `error` otherwise. */
export function jsonList(value: unknown, error: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw new StepError(error);
    }
  }
  if (!Array.isArray(v)) throw new StepError(error);
  return v;
}

/** `dtypes` when set, else `dtypes_json`; a map of column -> dtype. */
export function dtypeMap(dtypes: unknown, dtypesJson: unknown, error: string): Record<string, unknown> {
  const v = dtypes ?? dtypesJson;
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new StepError(error);
  return v as Record<string, unknown>;
}

/** Session options from the step context. */
export function sessionOptions(
  ctx: { env: Readonly<Record<string, string>>; settings: { log_level: string } },
  stepType: string,
): SessionOptions {
  return {
    enterprise: parseBool(ctx.env.AETHERFLOW_MODE_ENTERPRISE ?? "") === true,
    debug: ctx.settings.log_level === "DEBUG",
    stepType,
  };
}
