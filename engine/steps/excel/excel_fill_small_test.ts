import assert from "node:assert/strict";
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
import { excelFillSmallStep as step } from "./excel_fill_small.ts";

const QIP_COLUMNS = ["ID", "Name", "Value", "Timestamp"];
const QIP_ROWS = Array.from({ length: 10 }, (_, k) => {
  const i = k + 1;
  return [i, `item${i}`, i * 1.5, `2024-01-${String(i).padStart(2, "0")}T08:30:00`];
});
const QIP_DTYPES = { ID: "int", Name: "string", Value: "float", Timestamp: "datetime" };

/** The demo's render_small target (docs/steps.md example), as db_fetch_small's outputs render into it. */
const RENDER_SMALL = {
  name: "qip_region",
  anchor: "QIP_ANCHOR",
  columns_json: JSON.stringify(QIP_COLUMNS),
  rows_json: JSON.stringify(QIP_ROWS),
  row_count: 10,
  dtypes_json: JSON.stringify(QIP_DTYPES),
  max_rows: 5000,
  max_cols: 20,
  ...DEMO_REGION_OPTIONS,
};

Deno.test({
  name: "excel_fill_small writes the demo's small report cell by cell; the template is untouched",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template.xlsx");
    const before = await sha256File(w.art(template_path));
    const r = await runStep(
      step,
      { template_path, output: "out/report_small.xlsx", targets: [RENDER_SMALL] },
      w.ctx,
    );
    assert.deepEqual(r.outputs, {
      output: w.art("out/report_small.xlsx"),
      written: [{
        name: "qip_region",
        sheet: "Report",
        rows: 11,
        cols: 4,
        insert: "below",
        header_mode: "override",
        header_style: "template",
        type_cast: "schema",
        style_mode: "copy_row",
        start_cell: [5, 1],
        template_has_header: true,
      }],
    });
    assert.equal(await sha256File(w.art(template_path)), before);
    const report = sheetOf(await inspectXlsx(w.art("out/report_small.xlsx")), "Report");
    const expected: Record<string, unknown> = {
      A1: "AUTO DATA INSERT TEMPLATE",
      A3: "QIP SECTION",
      A5: "ID",
      B5: "Name",
      C5: "Value",
      D5: "Timestamp",
      A20: "QC SECTION",
      A21: "QC_ANCHOR",
      A22: "Batch",
      B22: "Check_Type",
      C22: "Result",
      D22: "Inspector",
      E22: "Date",
    };
    for (const [i, name, value, ts] of QIP_ROWS) {
      const r = 5 + Number(i);
      Object.assign(expected, { [`A${r}`]: i, [`B${r}`]: name, [`C${r}`]: value, [`D${r}`]: ts });
    }
    assert.deepEqual(valuesOf(report), expected);
    // A4 emptied, its bold kept; the header keeps the template's bold; typed cells with default formats.
    assert.deepEqual([report.cells.A4?.t, report.cells.A4?.bold, report.cells.A5?.bold], [
      "empty",
      true,
      true,
    ]);
    assert.deepEqual(
      ["A6", "B6", "C6", "D6"].map((a) => [report.cells[a]!.t, report.cells[a]!.fmt]),
      [["int", "General"], ["str", "General"], ["float", "General"], ["datetime", "yyyy-mm-dd h:mm:ss"]],
    );
    assert.equal(report.dims, "A1:E22");
  },
});

Deno.test({
  name: "excel_fill_small inserts rows the way Excel does: formulas, names, merges, validations follow",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("invoice.xlsx");
    // Two new items go in before row 7 ("second"), inside the ItemsTable range.
    await runStep(step, {
      template_path,
      output: "inv.xlsx",
      targets: [{ cell: "Invoice!A7", insert: "below", rows_json: [["new1", 1, 10], ["new2", 2, 20]] }],
    }, w.ctx);
    const book = await inspectXlsx(w.art("inv.xlsx"));
    const inv = sheetOf(book, "Invoice");
    assert.deepEqual(
      [inv.cells.A6?.v, inv.cells.A7?.v, inv.cells.A8?.v, inv.cells.A9?.v, inv.cells.D9?.v, inv.cells.D10?.v],
      ["first", "new1", "new2", "second", "=B9*C9", "=SUM(D6:D9)"],
    );
    assert.deepEqual(inv.merges, ["A12:B13", "A1:D1"]);
    assert.deepEqual(inv.validations, ["E12"]);
    assert.deepEqual(inv.cf, ["D6:D10"]);
    assert.deepEqual(sheetOf(book, "Summary").cells.B1?.v, "=Invoice!D10*1");
    assert.deepEqual(sheetOf(book, "Summary").cells.B2?.v, "='Invoice'!$A$12");
    assert.deepEqual(book.names, {
      ItemsStart: "Invoice!$A$6",
      ItemsTable: "Invoice!$A$6:$D$9",
      GrandTotal: "Invoice!$D$10",
      InvoiceNo: "Invoice!$B$2",
      WholeA: "Invoice!$A:$A",
      VatRate: "0.19",
      "Footer@0": "Invoice!$A$12",
    });
    assert.equal(inv.cells.D6?.fmt, "0.00");
  },
});

Deno.test({
  name: "excel_fill_small: formulas moved by an insert compute in LibreOffice; '=' data stays text",
  ignore: LIBREOFFICE_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("invoice.xlsx");
    await runStep(step, {
      template_path,
      output: "inv.xlsx",
      targets: [{ cell: "Invoice!A7", insert: "below", rows_json: [["new1", 1, 10, "=B7*C7"]] }],
    }, w.ctx);
    const sheets = await libreOfficeSheets(w.art("inv.xlsx"));
    // 2*3.5 + 1*4 = 11: the data row's "=B7*C7" is text (never a formula), so SUM skips it; the Summary sheet
    // follows the moved total.
    const invoice = sheets.Invoice!;
    assert.deepEqual(invoice[6], ["new1", "1", "10", "=B7*C7"]);
    assert.deepEqual(invoice.find((r) => r[2] === "Total")?.slice(2, 4), ["Total", "11"]);
    assert.deepEqual(invoice[7]?.slice(0, 4), ["second", "1", "4", "4"]);
    assert.deepEqual(sheets.Summary?.[0], ["Grand total", "11"]);
  },
});

Deno.test("excel_fill_small guards, choices and JSON errors name the target", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  const run = (target: Record<string, unknown>) =>
    runStep(step, {
      template_path,
      output: "o.xlsx",
      targets: [{ name: "t", anchor: "QIP_ANCHOR", ...target }],
    }, w.ctx);
  const CASES: [Record<string, unknown>, string][] = [
    [{ row_count: "10", max_rows: 5 }, "row_count=10 exceed max_rows=5"],
    [{ row_count: 10, max_total_rows: 5 }, "row_count=10 exceed max_total_rows=5"],
    [{ cell: "A1" }, "must set exactly one of anchor OR cell"],
    [{ anchor: null }, "must set exactly one of anchor OR cell"],
    [{ rows_json: "[[1,2]" }, "rows_json must be valid JSON"],
    [{ columns_json: "{bad" }, "columns_json must be valid JSON"],
    [{ insert: "Sideways" }, "invalid insert=Sideways"],
    [{ header_mode: "x" }, "invalid header_mode=x"],
    [{ header_style: "x" }, "invalid header_style=x"],
    [{ anchor_clear: true, anchor_clear_mode: "col" }, "invalid anchor_clear_mode=col"],
    [{ dtypes: "[1]" }, "dtypes must be a dict"],
    [{ type_cast: "deep" }, "invalid type_cast=deep"],
    [{ rows_json: [[1], [2], [3]], max_rows: 2 }, "data rows exceed max_rows=2"],
    [{ rows_json: [[1], [2]], max_total_rows: 2 }, "total rows exceed max_total_rows=2"],
    [{ rows_json: [[1, 2, 3]], max_cols: 2 }, "cols exceed max_cols=2"],
    [{ style_mode: "paint" }, "invalid style_mode=paint"],
    [{ style_apply: "all" }, "invalid style_apply=all"],
  ];
  for (const [target, message] of CASES) {
    await assert.rejects(() => run(target), { message: `excel_fill_small target=t: ${message}` }, message);
  }
  // No output, no temp file after a failed run.
  assert.deepEqual([...Deno.readDirSync(w.ctx.artifactsDir)].map((e) => e.name), [template_path]);
});

Deno.test("excel_fill_small: literal choices are checked by validate, at the target's loc", () => {
  const issues = stepInputIssues(step, {
    template_path: "t.xlsx",
    output: "o.xlsx",
    targets: [{ name: "q", anchor: "A", insert: "bellow", header_mode: "{{env.MODE}}" }, {
      cell: "A1",
      achor: "x",
    }],
  });
  assert.deepEqual(issues.map((i) => [i.code, i.loc, i.msg]), [
    ["semantic:invalid_input", "targets[0].insert", "excel_fill_small target=q: invalid insert=bellow"],
    ["semantic:unknown_input", "targets[1].achor", "Extra inputs are not permitted (did you mean 'anchor'?)"],
  ]);
});

Deno.test("excel_fill_small: overlapping targets fail and leave no file behind", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  await assert.rejects(
    () =>
      runStep(step, {
        template_path,
        output: "o.xlsx",
        targets: [
          { name: "a", cell: "Report!B2", rows_json: [[1, 2], [3, 4]] },
          { name: "b", cell: "Report!C3", rows_json: [[5]] },
        ],
      }, w.ctx),
    { message: "excel_fill_small targets overlap: name=b sheet=Report rect=(3,3)-(3,3) prev=a (2,2)-(3,3)" },
  );
  await assert.rejects(() => Deno.stat(w.art("o.xlsx")), Deno.errors.NotFound);
  await assert.rejects(() => Deno.stat(w.art("o.xlsx.tmp")), Deno.errors.NotFound);
});

Deno.test("excel_fill_small: anchor errors", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  const run = (target: Record<string, unknown>, env?: Record<string, string>) =>
    runStep(step, { template_path, output: "o.xlsx", targets: [target] }, env ? { ...w.ctx, env } : w.ctx);
  await assert.rejects(() => run({ anchor: "NOPE" }), {
    message: `Excel anchor not found: 'NOPE'. Workbook sheets=["Report"]. ANCHOR-like cells(sample)=[]`,
  });
  await assert.rejects(() => run({ cell: "B3" }), {
    message: "Excel target requires sheet when using cell like 'A1' (set sheet or use 'Sheet!A1')",
  });
  await assert.rejects(() => run({ cell: "B0", sheet: "Report" }), {
    message: "Invalid Excel cell reference: B0",
  });
  await assert.rejects(() => run({ cell: "Other!B3" }), { message: "Worksheet Other does not exist." });
  await assert.rejects(() => run({ anchor: "QIP_ANCHOR" }, { AETHERFLOW_MODE_ENTERPRISE: "true" }), {
    message: "Excel anchor text search requires 'sheet' in enterprise mode. Use named range or set sheet.",
  });
  // Text search is case-insensitive on normalised text; a cell-like anchor is a reference.
  const found = await run({ anchor: "  qip\u00a0anchor ".replace("\u00a0", "_"), rows_json: [["x"]] });
  assert.deepEqual((found.outputs?.written as { start_cell: number[] }[])[0]!.start_cell, [5, 1]);
  // A cell-like anchor is a reference, and like any anchor that is not a name it marks the row above the block.
  const ref = await run({ anchor: "Report!$C$3", rows_json: [["x"]] });
  assert.deepEqual((ref.outputs?.written as { start_cell: number[] }[])[0]!.start_cell, [4, 3]);
});

Deno.test("excel_fill_small: a text search stops after 10000 cells", async () => {
  await using w = await excelWork();
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Big");
  ws.getCell(200, 60).value = "far";
  ws.getCell(2, 2).value = "near";
  await wb.xlsx.writeFile(w.art("big.xlsx"));
  const run = (anchor: string) =>
    runStep(
      step,
      { template_path: "big.xlsx", output: "o.xlsx", targets: [{ anchor, rows_json: [[1]] }] },
      w.ctx,
    );
  await run("near");
  await assert.rejects(() => run("far"), {
    message: "Excel anchor search exceeded max_cells=10000. Use named range or specify sheet.",
  });
});

Deno.test({
  name: "excel_fill_small: copy_row styles, basic casting, clear_style_row outside and inside the block",
  ignore: OPENPYXL_MISSING !== undefined,
  async fn() {
    await using w = await excelWork();
    const template_path = await w.template("template_both_modes.xlsx");
    const r = await runStep(step, {
      template_path,
      output: "o.xlsx",
      targets: [
        {
          name: "styled",
          cell: "DATA_raw!A7",
          columns_json: ["A", "B"],
          header_mode: "append",
          rows_json: [["1", "2024-05-06"], ["x", "1.5"]],
          type_cast: "basic",
          style_mode: "copy_row",
          style_row_offset: -2,
          style_apply: "both",
          clear_style_row: true,
        },
        {
          name: "inside",
          cell: "DATA_demo!B1",
          rows_json: [["a"], ["b"]],
          style_mode: "copy_row",
          style_row_offset: 1,
          clear_style_row: true,
        },
      ],
    }, w.ctx);
    assert.ok(r.outputs);
    const book = await inspectXlsx(w.art("o.xlsx"));
    const raw = sheetOf(book, "DATA_raw");
    // Row 5 is the style row: white fill with borders, copied onto header (row 7) and data (rows 8-9).
    for (const a of ["A7", "A8", "B9"]) {
      assert.deepEqual([raw.cells[a]?.fill, raw.cells[a]?.border], ["00FFFFFF", true]);
    }
    assert.deepEqual(
      [raw.cells.A8?.v, raw.cells.B8?.v, raw.cells.B8?.fmt, raw.cells.A9?.v, raw.cells.B9?.v],
      [true, "2024-05-06T00:00:00", "yyyy-mm-dd h:mm:ss", "x", 1.5],
    );
    // The style row's values are cleared (it had none), its format stays.
    assert.equal(raw.cells.A5?.fill, "00FFFFFF");
    // Inside the block: the data stays, a warning says why.
    assert.deepEqual(valuesOf(sheetOf(book, "DATA_demo")).B2, "b");
    assert.deepEqual(w.ctx.calls, [
      "warn excel_fill_small target=inside: clear_style_row skipped: style row 2 lies inside the written block",
    ]);
  },
});
