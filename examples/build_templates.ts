// Writes the Excel templates of the UC2 demos (committed; re-run after changing this file):
//   multiflows-remote/uc2/templates/template.xlsx             sheet Report, anchors QIP_ANCHOR (A4), QC_ANCHOR (A11)
//   multiflows-remote/uc2/templates/template_both_modes.xlsx  Report plus DATA_qip, DATA_qc, DATA_demo, DATA_raw
//   multiflows-local/uc2/templates/report_template.xlsx       a copy of template.xlsx
// Anchors are cell texts (no defined names). Run: deno run -A examples/build_templates.ts
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type ExcelJS from "exceljs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const FIXED_DATE = new Date("2024-01-01T00:00:00Z");
const THIN = { style: "thin" } as const;
const BORDERS = { top: THIN, left: THIN, bottom: THIN, right: THIN };

function _report(wb: ExcelJS.Workbook): void {
  const ws = wb.addWorksheet("Report");
  ws.getCell("A1").value = "AUTO DATA INSERT TEMPLATE";
  ws.getCell("A3").value = "QIP SECTION";
  ws.getCell("A4").value = "QIP_ANCHOR";
  ws.getCell("A4").font = { bold: true };
  ["ID", "Name", "Value", "Timestamp"].forEach((h, i) => {
    const c = ws.getCell(5, i + 1);
    c.value = h;
    c.font = { bold: true };
  });
  ws.getCell("A10").value = "QC SECTION";
  ws.getCell("A11").value = "QC_ANCHOR";
  ["Batch", "Check_Type", "Result", "Inspector", "Date"].forEach((h, i) => {
    const c = ws.getCell(12, i + 1);
    c.value = h;
    c.font = { bold: true };
  });
}

function _book(exceljs: typeof ExcelJS): ExcelJS.Workbook {
  const wb = new exceljs.Workbook();
  wb.creator = "aetherflow examples";
  wb.created = FIXED_DATE;
  wb.modified = FIXED_DATE;
  return wb;
}

if (import.meta.main) {
  const { default: exceljs } = await import("exceljs");
  const single = _book(exceljs);
  _report(single);
  const remote = join(HERE, "multiflows-remote/uc2/templates");
  await Deno.mkdir(remote, { recursive: true });
  await single.xlsx.writeFile(join(remote, "template.xlsx"));
  const local = join(HERE, "multiflows-local/uc2/templates");
  await Deno.mkdir(local, { recursive: true });
  await Deno.copyFile(join(remote, "template.xlsx"), join(local, "report_template.xlsx"));

  const both = _book(exceljs);
  _report(both);
  for (const name of ["DATA_qip", "DATA_qc"]) {
    const ws = both.addWorksheet(name);
    ws.getCell("A1").value = `${name}: data sheet filled by excel_fill_from_file (data_sheet mode)`;
    ws.getCell("A2").value = "The header goes to A4, the rows below it; these notes stay.";
    ws.getCell("A3").value = "Freeze panes and an autofilter are set by the step.";
    ws.getCell("A4").value = "START";
  }
  const demo = both.addWorksheet("DATA_demo");
  demo.getCell("A1").value = "DATA_demo: no sheet and no cell given, so the data starts at A1";
  demo.getCell("A2").value = "and overwrites these notes";
  demo.getCell("A3").value = "(values are written as text: no dtypes)";
  demo.getCell("A4").value = "end of notes";
  const raw = both.addWorksheet("DATA_raw");
  raw.getCell("A1").value = "DATA_raw: styled header row 4 (A:T), styled data row 5 copied to every row";
  for (let col = 1; col <= 20; col++) {
    const h = raw.getCell(4, col);
    h.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFD9E1F2" } };
    h.font = { bold: true };
    h.border = BORDERS;
    const d = raw.getCell(5, col);
    d.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFFFFFFF" } };
    d.border = BORDERS;
  }
  await both.xlsx.writeFile(join(remote, "template_both_modes.xlsx"));
  console.log("wrote template.xlsx, template_both_modes.xlsx, report_template.xlsx");
}
