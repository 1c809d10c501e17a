import assert from "node:assert/strict";
import { reportRegionHints } from "./report_region_hints.ts";
import { stepInputIssues } from "../inputs.ts";
import { runStep } from "../_test_context.ts";
import {
  DEMO_REGION_OPTIONS,
  excelWork,
  inspectXlsx,
  LIBREOFFICE_MISSING,
  libreOfficeSheets,
  OPENPYXL_MISSING,
  sha256File,
  sheetOf,
  valuesOf,
} from "./_test_kit.ts";
import { excelFillFromFileStep as step } from "./excel_fill_from_file.ts";

const pad = (n: number) => String(n).padStart(2, "0");
const QIP_CSV = ["ID,Name,Value,Timestamp"].concat(
  Array.from(
    { length: 10 },
    (_, k) => `${k + 1},item${k + 1},${(k + 1) * 1.5},2024-01-${pad(k + 1)} 08:30:00`,
  ),
).join("\n") + "\n";
const QC_CSV = ["Batch,Check_Type,Result,Inspector,Date"].concat(
  Array.from({ length: 10 }, (_, k) => {
    const i = k + 1;
    return `B${String(i).padStart(3, "0")},visual,${i % 3 === 0 ? "FAIL" : "PASS"},insp${i % 4},2024-02-${
      pad(i)
    }`;
  }),
).join("\n") + "\n";
const QIP_DTYPES = JSON.stringify({ ID: "int", Name: "string", Value: "float", Timestamp: "datetime" });
const QC_DTYPES = JSON.stringify({
  Batch: "string",
  Check_Type: "string",
  Result: "string",
  Inspector: "string",
  Date: "date",
});

const REGION = {
  mode: "report_region",
  sheet: "Report",
  ...DEMO_REGION_OPTIONS,
  rows_threshold: 20000,
  fail_on_threshold: true,
  count_mode: "csv_parse",
};
const DATA_SHEET = {
  mode: "data_sheet",
  cell: "A4",
  header_mode: "append",
  type_cast: "schema",
  insert: "replace",
  freeze_panes: true,
  autofilter: true,
  header_bold: true,
};

/** The demo's render_large targets (remote uc2). */
const RENDER_LARGE = [
  {
    ...REGION,
    name: "qip_region",
    anchor: "QIP_ANCHOR",
    source_path: "data/qip.csv",
    dtypes_json: QIP_DTYPES,
  },
  { ...REGION, name: "qc_region", anchor: "QC_ANCHOR", source_path: "data/qc.csv", dtypes_json: QC_DTYPES },
  {
    ...DATA_SHEET,
    name: "data_qip",
    sheet: "DATA_qip",
    source_path: "data/qip.csv",
    dtypes_json: QIP_DTYPES,
  },
  { ...DATA_SHEET, name: "data_qc", sheet: "DATA_qc", source_path: "data/qc.csv", dtypes_json: QC_DTYPES },
  { name: "demo", mode: "data_sheet", source_path: "data/qip.csv" },
  {
    name: "raw_data",
    mode: "data_sheet",
    sheet: "DATA_raw",
    cell: "A4",
    source_path: "data/qip.csv",
    header_clear_width: 50,
    type_cast: "schema",
    dtypes_json: QIP_DTYPES,
    max_rows: 200000,
    max_cols: 200,
    style_mode: "copy_row",
    style_row_offset: 1,
    freeze_panes: true,
    autofilter: true,
  },
];

function qipCells(top: number, typed: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 1; i <= 10; i++) {
    const r = top + i - 1;
    out[`A${r}`] = typed ? i : String(i);
    out[`B${r}`] = `item${i}`;
    out[`C${r}`] = typed ? i * 1.5 : String(i * 1.5);
    out[`D${r}`] = typed ? `2024-01-${pad(i)}T08:30:00` : `2024-01-${pad(i)} 08:30:00`;
  }
  return out;
}

function qcCells(top: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 1; i <= 10; i++) {
    const r = top + i - 1;
    out[`A${r}`] = `B${String(i).padStart(3, "0")}`;
    out[`B${r}`] = "visual";
    out[`C${r}`] = i % 3 === 0 ? "FAIL" : "PASS";
    out[`D${r}`] = `insp${i % 4}`;
    out[`E${r}`] = `2024-02-${pad(i)}T00:00:00`;
  }
  return out;
}

const QIP_HEADER = (r: number) => ({
  [`A${r}`]: "ID",
  [`B${r}`]: "Name",
  [`C${r}`]: "Value",
  [`D${r}`]: "Timestamp",
});
const QC_HEADER = (r: number) => ({
  [`A${r}`]: "Batch",
  [`B${r}`]: "Check_Type",
  [`C${r}`]: "Result",
  [`D${r}`]: "Inspector",
  [`E${r}`]: "Date",
});

Deno.test({
  name:
    "excel_fill_from_file writes the demo's large report (report regions and data sheets) cell by cell; the template is untouched",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template_both_modes.xlsx");
    const before = await sha256File(w.art(template_path));
    await w.write("data/qip.csv", QIP_CSV);
    await w.write("data/qc.csv", QC_CSV);
    const r = await runStep(
      step,
      { template_path, output: "out/report_large.xlsx", targets: RENDER_LARGE },
      w.ctx,
    );
    assert.equal(await sha256File(w.art(template_path)), before, "the template is never modified");
    const written = r.outputs?.written as Record<string, unknown>[];
    assert.deepEqual(written.map((x) => [x.name, x.sheet, x.rows, x.cols, x.start_cell]), [
      ["qip_region", "Report", 11, 4, [5, 1]],
      ["qc_region", "Report", 11, 5, [22, 1]],
      ["data_qip", "DATA_qip", 11, 4, [4, 1]],
      ["data_qc", "DATA_qc", 11, 5, [4, 1]],
      ["demo", "DATA_demo", 11, 4, [1, 1]],
      ["raw_data", "DATA_raw", 11, 4, [4, 1]],
    ]);
    assert.deepEqual(Object.keys(written[0]!), [
      "name",
      "sheet",
      "rows",
      "cols",
      "mode",
      "insert",
      "header_mode",
      "header_style",
      "style_mode",
      "start_cell",
      "template_has_header",
    ]);
    const book = await inspectXlsx(w.art("out/report_large.xlsx"));
    assert.deepEqual(book.sheets.map((s) => s.name), [
      "Report",
      "DATA_qip",
      "DATA_qc",
      "DATA_demo",
      "DATA_raw",
    ]);
    const report = sheetOf(book, "Report");
    assert.deepEqual(valuesOf(report), {
      A1: "AUTO DATA INSERT TEMPLATE",
      A3: "QIP SECTION",
      ...QIP_HEADER(5),
      ...qipCells(6, true),
      A20: "QC SECTION",
      ...QC_HEADER(22),
      ...qcCells(23),
    });
    assert.equal(report.dims, "A1:E32");
    assert.deepEqual([report.cells.A21?.v ?? null, report.cells.E23?.t, report.cells.E23?.fmt], [
      null,
      "datetime",
      "yyyy-mm-dd h:mm:ss",
    ]);
    const notes = (name: string) => ({
      A1: `Data sheet ${name}`,
      A2: "Written by excel_fill_from_file",
      A3: "Header goes to row 4",
    });
    const qip = sheetOf(book, "DATA_qip");
    assert.deepEqual(valuesOf(qip), { ...notes("DATA_qip"), ...QIP_HEADER(4), ...qipCells(5, true) });
    assert.deepEqual([qip.freeze, qip.autofilter, qip.cells.A4?.bold, qip.cells.D4?.bold], [
      "A5",
      "A4:D14",
      true,
      true,
    ]);
    const qc = sheetOf(book, "DATA_qc");
    assert.deepEqual(valuesOf(qc), { ...notes("DATA_qc"), ...QC_HEADER(4), ...qcCells(5) });
    assert.deepEqual([qc.freeze, qc.autofilter], ["A5", "A4:E14"]);
    const demo = sheetOf(book, "DATA_demo");
    assert.deepEqual(valuesOf(demo), { ...QIP_HEADER(1), ...qipCells(2, false) });
    assert.deepEqual([demo.freeze, demo.autofilter, demo.cells.A1?.bold], ["A2", "A1:D11", true]);
    const raw = sheetOf(book, "DATA_raw");
    assert.deepEqual(valuesOf(raw), { A1: "Raw data", ...QIP_HEADER(4), ...qipCells(5, true) });
    assert.deepEqual([raw.dims, raw.freeze, raw.autofilter], ["A1:T14", "A5", "A4:D14"]);
    // Header keeps the template format; E4:T4 stay styled and empty; data take row 5's format.
    assert.deepEqual([raw.cells.A4?.fill, raw.cells.A4?.bold, raw.cells.T4?.fill, raw.cells.T4?.v], [
      "00D9E1F2",
      true,
      "00D9E1F2",
      null,
    ]);
    for (const a of ["A5", "D9", "C14"]) {
      assert.deepEqual([raw.cells[a]?.fill, raw.cells[a]?.border], ["00FFFFFF", true]);
    }
  },
});

Deno.test({
  name: "excel_fill_from_file writes the local demo's report: legacy include_header, strings without dtypes",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template.xlsx");
    // demo_generate_csv writes CRLF line ends with minimal quoting.
    await w.write("data/qip.csv", QIP_CSV.replaceAll("\n", "\r\n"));
    await w.write("data/qc.csv", QC_CSV.replaceAll("\n", "\r\n"));
    const target = {
      mode: "report_region",
      sheet: "Report",
      include_header: true,
      rows_threshold: 20000,
      fail_on_threshold: true,
      count_mode: "csv_parse",
    };
    const r = await runStep(step, {
      template_path,
      output: "out/report_R.xlsx",
      targets: [
        { ...target, name: "qip_region", anchor: "QIP_ANCHOR", source_path: "data/qip.csv" },
        { ...target, name: "qc_region", anchor: "QC_ANCHOR", source_path: "data/qc.csv" },
      ],
    }, w.ctx);
    assert.deepEqual((r.outputs?.written as { header_mode: string }[]).map((x) => x.header_mode), [
      "append",
      "append",
    ]);
    const report = sheetOf(await inspectXlsx(w.art("out/report_R.xlsx")), "Report");
    const qc = qcCells(23);
    for (const k of Object.keys(qc)) if (k.startsWith("E")) qc[k] = String(qc[k]).slice(0, 10);
    assert.deepEqual(valuesOf(report), {
      A1: "AUTO DATA INSERT TEMPLATE",
      A3: "QIP SECTION",
      A4: "QIP_ANCHOR",
      ...QIP_HEADER(5),
      ...qipCells(6, false),
      A20: "QC SECTION",
      A21: "QC_ANCHOR",
      ...QC_HEADER(22),
      ...qc,
    });
    assert.ok(Object.values(report.cells).every((c) => c.t === "str" || c.t === "empty"));
  },
});

Deno.test("excel_fill_from_file: a report region over rows_threshold fails before anything is written", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  await w.write("data/qip.csv", QIP_CSV);
  const target = { name: "big", mode: "report_region", anchor: "QIP_ANCHOR", source_path: "data/qip.csv" };
  await assert.rejects(
    () => runStep(step, { template_path, output: "o.xlsx", rows_threshold: 9, targets: [target] }, w.ctx),
    {
      message:
        "excel_fill_from_file target=big: row_count=10 exceeds rows_threshold=9. Use mode=data_sheet " +
        "(DATA_*) instead of report_region, or raise rows_threshold.",
    },
  );
  // fail_on_threshold: false lets it through; a declared row_count is trusted; a non-number is ignored.
  const at = (extra: Record<string, unknown>) =>
    runStep(
      step,
      { template_path, output: "o.xlsx", rows_threshold: 9, targets: [{ ...target, ...extra }] },
      w.ctx,
    );
  await at({ fail_on_threshold: "no" });
  await at({ row_count: "5" });
  await assert.rejects(() => at({ row_count: "many" }), /row_count=10 exceeds rows_threshold=9/);
  assert.deepEqual(reportRegionHints({ targets: [target] }).map((h) => h.code), [
    "report_region_default_threshold",
  ]);
});

Deno.test({
  name: "excel_fill_from_file reads parquet with its types; without read_header there is no header",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template.xlsx");
    const { parquetWriteFile } = await import("hyparquet-writer");
    parquetWriteFile({
      filename: w.art("q.parquet"),
      columnData: [
        { name: "id", data: BigInt64Array.from([1n, 2n]) },
        { name: "v", data: [1.5, null] },
        { name: "ok", data: [true, false] },
        { name: "day", data: [new Date(Date.UTC(2024, 1, 29)), null] },
        { name: "at", data: [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(Date.UTC(2024, 0, 2))] },
        { name: "s", data: ["x", null] },
      ],
      schema: [
        { name: "root", num_children: 6 },
        { name: "id", type: "INT64", repetition_type: "REQUIRED" },
        { name: "v", type: "DOUBLE", repetition_type: "OPTIONAL" },
        { name: "ok", type: "BOOLEAN", repetition_type: "REQUIRED" },
        { name: "day", type: "INT32", converted_type: "DATE", repetition_type: "OPTIONAL" },
        { name: "at", type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: "REQUIRED" },
        { name: "s", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ],
    });
    await runStep(step, {
      template_path,
      output: "o.xlsx",
      targets: [
        { name: "p", source_path: "q.parquet" },
        { name: "nohead", source_path: "q.parquet", read_header: false, cell: "B2" },
      ],
    }, w.ctx);
    const book = await inspectXlsx(w.art("o.xlsx"));
    const p = sheetOf(book, "DATA_p");
    assert.deepEqual(valuesOf(p), {
      A1: "id",
      B1: "v",
      C1: "ok",
      D1: "day",
      E1: "at",
      F1: "s",
      A2: 1,
      B2: 1.5,
      C2: true,
      D2: "2024-02-29T00:00:00",
      E2: "2024-01-02T03:04:05",
      F2: "x",
      A3: 2,
      C3: false,
      E3: "2024-01-02T00:00:00",
    });
    assert.deepEqual([p.cells.D2?.fmt, p.cells.E2?.fmt], ["yyyy-mm-dd", "yyyy-mm-dd h:mm:ss"]);
    const n = sheetOf(book, "DATA_nohead");
    assert.deepEqual([n.cells.B2?.v, n.cells.C3?.v ?? null, n.freeze, n.autofilter], [1, null, "B2", null]);
  },
});

Deno.test({
  name:
    "excel_fill_from_file: a streamed report region computes in LibreOffice (typed cells, moved formulas)",
  ignore: LIBREOFFICE_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("invoice.xlsx");
    await w.write("items.csv", "Item,Qty,Price,Total\nnew1,1,10,10\nnew2,2,20,40\n");
    const r = await runStep(step, {
      template_path,
      output: "inv.xlsx",
      targets: [{
        name: "items",
        mode: "report_region",
        cell: "Invoice!A7",
        source_path: "items.csv",
        dtypes: { Qty: "int", Price: "float", Total: "float" },
      }],
    }, w.ctx);
    assert.deepEqual(
      (r.outputs?.written as { rows: number; insert: string }[]).map((x) => [x.rows, x.insert]),
      [
        [2, "below"],
      ],
    );
    const sheets = await libreOfficeSheets(w.art("inv.xlsx"));
    const invoice = sheets.Invoice!;
    assert.deepEqual(invoice.slice(5, 9).map((row) => row.slice(0, 4)), [
      ["first", "2", "3.5", "7"],
      ["new1", "1", "10", "10"],
      ["new2", "2", "20", "40"],
      ["second", "1", "4", "4"],
    ]);
    // 7 + 10 + 40 + 4: the streamed totals are numbers (text would be skipped by SUM) inside the moved range;
    // the Summary sheet follows the moved total.
    assert.deepEqual(invoice.find((row) => row[2] === "Total")?.slice(2, 4), ["Total", "61"]);
    assert.deepEqual(sheets.Summary?.[0], ["Grand total", "61"]);
  },
});

Deno.test({
  name: "excel_fill_from_file: TSV with given columns, latin-1, format from the extension",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template.xlsx");
    await Deno.writeFile(
      w.art("x.tsv"),
      Uint8Array.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x09, 0x37, 0x0a]),
    );
    await runStep(step, {
      template_path,
      output: "o.xlsx",
      targets: [{
        name: "t",
        source_path: "x.tsv",
        read_header: false,
        columns: '["Name","N"]',
        encoding: "latin-1",
        dtypes: { N: "int" },
      }],
    }, w.ctx);
    const t = sheetOf(await inspectXlsx(w.art("o.xlsx")), "DATA_t");
    assert.deepEqual(valuesOf(t), { A1: "Name", B1: "N", A2: "Müller", B2: 7 });
    await w.write("x.json", "{}");
    await assert.rejects(
      () =>
        runStep(
          step,
          { template_path, output: "o.xlsx", targets: [{ name: "j", source_path: "x.json" }] },
          w.ctx,
        ),
      { message: "Unsupported source_format: json" },
    );
  },
});

Deno.test("excel_fill_from_file: guards stop the stream; nothing is left behind; the old output stays", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  await w.write("data/qip.csv", QIP_CSV);
  await w.write("o.xlsx", "previous output");
  const run = (target: Record<string, unknown>) =>
    runStep(step, {
      template_path,
      output: "o.xlsx",
      targets: [{ name: "g", source_path: "data/qip.csv", ...target }],
    }, w.ctx);
  const CASES: [Record<string, unknown>, string][] = [
    [{ max_rows: 9 }, "data rows exceed max_rows=9"],
    [{ max_total_rows: 10 }, "total rows exceed max_total_rows=10"],
    [{ max_cols: 3 }, "cols exceed max_cols=3"],
    [{ mode: "fancy" }, "invalid mode=fancy"],
    [{ anchor: "QIP_ANCHOR", cell: "A1" }, "must set exactly one of anchor OR cell"],
    [{ columns: "{}" }, "columns must be a list"],
    [{ delimiter: ";;" }, '"delimiter" must be a 1-character string'],
  ];
  for (const [target, message] of CASES) {
    await assert.rejects(
      () => run(target),
      { message: `excel_fill_from_file target=g: ${message}` },
      message,
    );
  }
  assert.equal(await Deno.readTextFile(w.art("o.xlsx")), "previous output");
  await assert.rejects(() => Deno.stat(w.art("o.xlsx.tmp")), Deno.errors.NotFound);
  // The scratch dir keeps no line files.
  const scratch = [...Deno.readDirSync(w.ctx.scratchDir)].map((e) => e.name);
  assert.deepEqual(scratch, []);
  await w.write("long.csv", `h\n${"x".repeat(32768)}\n`);
  await assert.rejects(() => run({ source_path: "long.csv" }), {
    message: "excel_fill_from_file target=g: cell A2: text longer than Excel's 32767-character cell limit",
  });
});

Deno.test("excel_fill_from_file stops when the run is cancelled", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  await w.write("data/qip.csv", QIP_CSV);
  const abort = new AbortController();
  abort.abort(new Error("terminated by SIGTERM"));
  await assert.rejects(
    () =>
      runStep(step, {
        template_path,
        output: "o.xlsx",
        targets: [{ name: "c", source_path: "data/qip.csv" }],
      }, {
        ...w.ctx,
        signal: abort.signal,
      }),
    { message: "terminated by SIGTERM" },
  );
  await assert.rejects(() => Deno.stat(w.art("o.xlsx")), Deno.errors.NotFound);
});

Deno.test("excel_fill_from_file: validate reports unknown target keys and bad literal choices", () => {
  const issues = stepInputIssues(step, {
    template_path: "t.xlsx",
    output: "o.xlsx",
    targets: [{ name: "x", source_pth: "a.csv", mode: "report", file: { delimter: ";" } }],
  });
  assert.deepEqual(issues.map((i) => [i.code, i.loc]).sort(), [
    ["semantic:invalid_input", "targets[0].mode"],
    ["semantic:unknown_input", "targets[0].file.delimter"],
    ["semantic:unknown_input", "targets[0].source_pth"],
  ]);
  assert.equal(
    issues.find((i) => i.loc === "targets[0].mode")?.msg,
    "excel_fill_from_file target=x: invalid mode=report",
  );
});
