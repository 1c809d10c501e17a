/**
 * `excel_fill_from_file`: CSV/TSV/parquet files into a template, as data sheets (`data_sheet`) or into report
 * regions (`report_region`) (docs/steps.md "excel_fill_from_file"). Rows are streamed from the source into the
 * output file; the template is read, never written; the result goes to `<output>.tmp`, renamed over `output`.
 * @module
 */
import { extname } from "node:path";
import type { z } from "zod";
import { StepError } from "../../errors.ts";
import { fields, toText } from "../../inputs/mod.ts";
import type { JsonObject } from "../../types.ts";
import { defineStep, type StepContext } from "../types.ts";
import { isNamedAnchor } from "./_anchor.ts";
import { rowCaster, type TypeCast } from "./_cast.ts";
import { countRows } from "./_count_rows.ts";
import type { ReadQuoting } from "./_csv_reader.ts";
import {
  countValue,
  dtypeMap,
  FillSession,
  jsonList,
  lenientInt,
  markerDefaults,
  sessionOptions,
} from "./_fill.ts";
import {
  openDelimited,
  openParquet,
  type RowStream,
  type SourceFormat,
  type SourceSpec,
} from "./_sources.ts";
import {
  COMMON_TARGET_KEYS,
  optionalBool,
  pickChoice,
  targetChoiceIssues,
  targetPrefix,
} from "./_target_inputs.ts";
import { loadTemplate } from "./_template.ts";
import type { CellValue } from "./_values.ts";
import { writeSession } from "./_write_session.ts";
import { reportRegionHints } from "./report_region_hints.ts";

const _TYPE = "excel_fill_from_file";

const _FILE_OPTIONS = {
  encoding: fields.text({ default: null }),
  delimiter: fields.text({ default: null }),
  quotechar: fields.text({ default: null }),
  escapechar: fields.text({ default: null }),
  doublequote: optionalBool(),
  quoting: fields.text({ default: null }),
  linefeed: fields.text({ default: null }),
};

const _TARGET = fields.map({
  ...COMMON_TARGET_KEYS,
  source_path: fields.path(),
  source_format: fields.text({ default: null, scalars: true }),
  mode: fields.any(),
  read_header: fields.bool({ default: true }),
  include_header: optionalBool(),
  columns: fields.jsonish(),
  columns_json: fields.jsonish(),
  rows_threshold: fields.int({ default: null }),
  fail_on_threshold: fields.bool({ default: true }),
  count_mode: fields.text({ default: "fast", scalars: true }),
  data_sheet_prefix: fields.text({ default: "DATA_", scalars: true }),
  freeze_panes: fields.bool({ default: true }),
  autofilter: fields.bool({ default: true }),
  header_bold: fields.bool({ default: true }),
  ..._FILE_OPTIONS,
  file: fields.map(_FILE_OPTIONS),
}, { required: true });

type _Target = z.output<typeof _TARGET>;
type _FileOptions = { [K in keyof typeof _FILE_OPTIONS]: unknown };

const _CHOICE_KEYS = [
  "mode",
  "insert",
  "header_mode",
  "header_style",
  "anchor_clear_mode",
  "type_cast",
  "style_mode",
  "style_apply",
] as const;

const _QUOTINGS: readonly ReadQuoting[] = ["minimal", "all", "none", "nonnumeric"];

function _one(prefix: string, name: string, value: string): string {
  if ([...value].length !== 1) throw new StepError(`${prefix}"${name}" must be a 1-character string`);
  return value;
}

/** The source: format (given, else the extension, else tsv) and CSV dialect (top-level key, else `file:`). */
function _sourceSpec(prefix: string, path: string, t: _Target): SourceSpec & { linefeed: string } {
  const given = t.source_format ?? (extname(path).slice(1) || "tsv");
  const format = given.trim().toLowerCase();
  if (format !== "csv" && format !== "tsv" && format !== "parquet") {
    throw new StepError(`Unsupported source_format: ${given}`);
  }
  const nested = t.file as Partial<_FileOptions>;
  const pick = <T>(key: keyof _FileOptions, dflt: T): T =>
    ((t as unknown as _FileOptions)[key] ?? nested[key] ?? dflt) as T;
  const quoting = String(pick("quoting", "minimal")).trim().toLowerCase() as ReadQuoting;
  const escapechar = pick<string | null>("escapechar", null);
  return {
    path,
    format: format as SourceFormat,
    encoding: pick("encoding", "utf-8"),
    dialect: {
      delimiter: _one(prefix, "delimiter", pick("delimiter", format === "tsv" ? "\t" : ",")),
      quotechar: _one(prefix, "quotechar", pick("quotechar", '"')),
      escapechar: escapechar === null || escapechar === "" ? null : _one(prefix, "escapechar", escapechar),
      doublequote: pick("doublequote", true),
      quoting: _QUOTINGS.includes(quoting) ? quoting : "minimal",
    },
    linefeed: pick("linefeed", "\n"),
  };
}

/** The source's header (null when it has none) and a way to stream its data rows. */
async function _openSource(
  spec: SourceSpec,
  readHeader: boolean,
): Promise<{ header: string[] | null; rows: () => Promise<RowStream> }> {
  if (spec.format === "parquet") {
    const first = await openParquet(spec.path);
    first.rows.close();
    return {
      header: readHeader ? first.columns : null,
      rows: async () => (await openParquet(spec.path)).rows,
    };
  }
  let header: string[] | null = null;
  if (readHeader) {
    const peek = await openDelimited(spec);
    try {
      for await (const batch of peek.batches) {
        if (batch.length > 0) header = batch[0]!.map(toText);
        break;
      }
    } finally {
      peek.close();
    }
  }
  return {
    header,
    rows: async () => {
      const stream = await openDelimited(spec);
      if (!readHeader) return stream;
      // Drop the header record.
      let skipped = false;
      const batches = (async function* () {
        for await (const batch of stream.batches) {
          if (!skipped) {
            skipped = true;
            yield batch.slice(1);
          } else yield batch;
        }
      })();
      return { batches, close: stream.close };
    },
  };
}

interface _Planned {
  entry: JsonObject;
  /** Filled once the rows are written. */
  finish(rows: number, width: number): void;
}

async function _planTarget(
  session: FillSession,
  t: _Target,
  options: { stepThreshold: number; ctx: StepContext },
): Promise<_Planned> {
  const p = targetPrefix(_TYPE, t.name);
  const mode = pickChoice(p, "mode", t.mode, "data_sheet");
  const dataSheet = mode === "data_sheet";
  const sheet = t.sheet ?? (dataSheet ? `${t.data_sheet_prefix}${t.name}` : null);
  const hasAnchor = t.anchor !== null && t.anchor !== "";
  const hasCell = t.cell !== null && t.cell !== "";
  if (hasAnchor && hasCell) throw new StepError(`${p}must set exactly one of anchor OR cell`);
  const cell = dataSheet && !hasAnchor && !hasCell ? "A1" : t.cell;
  const book = session.book;
  if (dataSheet && sheet !== null && !book.wb.getWorksheet(sheet)) {
    book.wb.addWorksheet(sheet);
    book.sheetOrder.push(sheet);
  }
  // Legacy include_header decides both reading and writing the header.
  const readHeader = t.include_header ?? t.read_header;
  const headerMode = t.include_header !== null
    ? (t.include_header ? "append" : "template")
    : pickChoice(p, "header_mode", t.header_mode, dataSheet ? "append" : "template");
  const insert = pickChoice(p, "insert", t.insert, dataSheet ? "replace" : "below");
  const headerStyle = pickChoice(p, "header_style", t.header_style, "template");
  const given = jsonList(t.columns ?? t.columns_json, `${p}columns must be a list`)?.map(toText) ?? [];
  const { ws, row: rAnchor, col: c0 } = session.resolve({ anchor: t.anchor, cell, sheet });
  const { marker, templateHasHeader } = markerDefaults(
    { anchor: t.anchor, named: isNamedAnchor(book, t.anchor), markerByDefault: !dataSheet },
    t,
  );
  const r0 = marker ? rAnchor + 1 : rAnchor;
  if (t.anchor_clear && hasAnchor) {
    const clearMode = pickChoice(p, "anchor_clear_mode", t.anchor_clear_mode, "cell");
    session.clearValues(ws, rAnchor, c0, clearMode === "row" ? t.anchor_clear_width : 1);
  }
  // The source: header and columns.
  const sourcePath = await options.ctx.paths.resolve(t.source_path);
  const spec = _sourceSpec(p, sourcePath, t);
  const source = await _openSource(spec, readHeader);
  const columns = source.header ?? (spec.format === "parquet" ? [] : given);
  const dtypes = dtypeMap(t.dtypes, t.dtypes_json, `${p}dtypes must be a dict`);
  let typeCast = pickChoice(
    p,
    "type_cast",
    t.type_cast,
    Object.keys(dtypes).length > 0 ? "schema" : "none",
  ) as TypeCast;
  if (typeCast === "schema" && columns.length === 0) typeCast = "none";
  const headerWritten = (headerMode === "override" || headerMode === "append") && columns.length > 0;
  const dataStart = headerWritten || templateHasHeader ? r0 + 1 : r0;
  const headerRows = headerWritten || templateHasHeader ? 1 : 0;
  let reserved: number | null = null;
  if (!dataSheet) {
    const threshold = t.rows_threshold ?? options.stepThreshold;
    const count = countValue(t.row_count) ??
      await countRows(spec, { mode: t.count_mode.trim().toLowerCase(), linefeed: spec.linefeed, readHeader });
    if (t.fail_on_threshold && count > threshold) {
      throw new StepError(
        `${p}row_count=${count} exceeds rows_threshold=${threshold}. Use mode=data_sheet (DATA_*) instead of ` +
          "report_region, or raise rows_threshold.",
      );
    }
    reserved = count;
    if (insert === "below") {
      if (templateHasHeader) session.insertRows(ws, dataStart, count, p);
      else session.insertRows(ws, r0, count + (headerWritten ? 1 : 0), p);
    }
  }
  const styleMode = pickChoice(p, "style_mode", t.style_mode, "none");
  const styleApply = pickChoice(p, "style_apply", t.style_apply, "data");
  const styleRow = styleMode === "copy_row" ? (marker ? rAnchor : r0) + t.style_row_offset : null;
  if (headerWritten && t.header_clear) {
    session.clearValues(ws, r0, c0, lenientInt(t.header_clear_width, columns.length));
  }
  if (headerWritten) {
    const fromStyle = styleRow !== null && (styleApply === "header" || styleApply === "both");
    session.writeHeader(ws, r0, c0, columns, fromStyle ? styleRow : null);
    if (dataSheet && t.header_bold) session.boldHeader(ws, r0, c0, columns.length);
  }
  if (dataSheet && t.freeze_panes) session.freeze(ws, r0 + (headerWritten ? 1 : 0), c0);
  if (dataSheet && t.autofilter && headerWritten) {
    session.autofilter(ws, { top: r0, left: c0, bottom: r0, right: c0 + columns.length - 1 });
  }
  const cast = rowCaster(typeCast, columns, dtypes);
  const headerWidth = headerWritten ? columns.length : 0;
  const region = {
    sheet: ws.name,
    top: dataStart,
    left: c0,
    reservedRows: reserved,
    styleRow: styleRow !== null && (styleApply === "data" || styleApply === "both") ? styleRow : null,
    label: p,
    async open(): Promise<AsyncIterable<CellValue[][]>> {
      const stream = await source.rows();
      return (async function* () {
        try {
          for await (const batch of stream.batches) yield batch.map((row) => cast(row));
        } finally {
          stream.close();
        }
      })();
    },
    onRow(index: number, width: number) {
      if (t.max_rows !== null && index + 1 > t.max_rows) {
        throw new StepError(`${p}data rows exceed max_rows=${t.max_rows}`);
      }
      if (t.max_total_rows !== null && headerRows + index + 1 > t.max_total_rows) {
        throw new StepError(`${p}total rows exceed max_total_rows=${t.max_total_rows}`);
      }
      if (t.max_cols !== null && Math.max(width, headerWidth) > t.max_cols) {
        throw new StepError(`${p}cols exceed max_cols=${t.max_cols}`);
      }
    },
  };
  session.regions.push(region);
  if (t.clear_style_row && styleRow !== null) {
    // The block's extent is known only for report regions; a data sheet's style row inside the data is kept.
    const inside = styleRow >= r0 && (reserved === null || styleRow <= dataStart + reserved - 1);
    if (inside) {
      session.warn(`${p}clear_style_row skipped: style row ${styleRow} lies inside the written block`);
    } else session.clearValues(ws, styleRow, c0, Math.max(headerWidth, 1));
  }
  const entry: JsonObject = {
    name: t.name,
    sheet: ws.name,
    rows: 0,
    cols: 0,
    mode,
    insert,
    header_mode: headerMode,
    header_style: headerStyle,
    style_mode: styleMode,
    start_cell: [r0, c0],
    template_has_header: templateHasHeader,
  };
  return {
    entry,
    finish(rows, width) {
      const total = headerRows + rows;
      const cols = Math.max(headerWidth, width);
      entry.rows = total;
      entry.cols = cols;
      // Later targets may have inserted rows above this block: its start is where the data went.
      const top = region.top - headerRows;
      const rect = { top, left: c0, bottom: top + Math.max(total, 1) - 1, right: c0 + Math.max(cols, 1) - 1 };
      if (!(dataSheet && insert === "replace")) session.place(t.name, ws.name, rect);
      if (dataSheet && t.autofilter && headerWritten) session.autofilters.set(ws.name, rect);
    },
  };
}

export const excelFillFromFileStep = defineStep({
  type: _TYPE,
  origin: "builtin",
  inputs: fields.fixedMap({
    template_path: fields.path(),
    output: fields.path(),
    targets: fields.list(_TARGET, { required: true }),
    rows_threshold: fields.int({ default: 50000 }),
  }),
  validate: (raw) => targetChoiceIssues(_TYPE, raw, _CHOICE_KEYS),
  hints: reportRegionHints,
  async run(input, ctx: StepContext) {
    const template = await ctx.paths.resolve(input.template_path);
    const output = await ctx.paths.resolve(input.output);
    const book = await loadTemplate(template);
    const session = new FillSession(book, { ...sessionOptions(ctx, _TYPE), warn: (m) => ctx.log.warn(m) });
    const planned: _Planned[] = [];
    for (const t of input.targets) {
      planned.push(await _planTarget(session, t, { stepThreshold: input.rows_threshold, ctx }));
    }
    await writeSession(session, {
      output,
      scratchDir: ctx.scratchDir,
      signal: ctx.signal,
      finish: (results) => results.forEach((r, i) => planned[i]!.finish(r.rows, r.width)),
    });
    return { outputs: { output, written: planned.map((x) => x.entry) } };
  },
});
