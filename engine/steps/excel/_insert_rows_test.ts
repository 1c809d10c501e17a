import assert from "node:assert/strict";
import { insertRows, shiftRangeList } from "./_insert_rows.ts";
import type { TemplateBook } from "./_template.ts";

Deno.test("shiftRangeList() moves and grows every range of an sqref list", () => {
  const ins = { sheet: "S", at: 5, count: 2 };
  assert.equal(shiftRangeList("A1:B4 C5 D3:D6", ins), "A1:B4 C7 D3:D8");
});

Deno.test("insertRows() gives each shared-formula clone its own moved formula", async () => {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("S");
  for (let r = 6; r <= 8; r++) {
    ws.getCell(`B${r}`).value = r;
    ws.getCell(`C${r}`).value = 2;
  }
  ws.getCell("D6").value = { formula: "B6*C6", shareType: "shared", ref: "D6:D8", date1904: false } as never;
  ws.getCell("D7").value = { sharedFormula: "D6", date1904: false };
  ws.getCell("D8").value = { sharedFormula: "D6", date1904: false };
  ws.getCell("D9").value = { formula: "SUM(D6:D8)", date1904: false };
  ws.mergeCells("A10:B11");
  ws.getCell("A10").value = "note";
  const png = Uint8Array.from(
    atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
    (c) => c.charCodeAt(0),
  );
  ws.addImage(wb.addImage({ buffer: png as never, extension: "png" }), "E10:F12");
  ws.addImage(wb.addImage({ buffer: png as never, extension: "png" }), "E1:F2");
  const book: TemplateBook = { wb, names: [], sheetOrder: ["S"] };
  insertRows(book, "S", 7, 2);
  assert.deepEqual(
    ["D6", "D9", "D10", "D11"].map((a) => ws.getCell(a).formula),
    ["B6*C6", "B9*C9", "B10*C10", "SUM(D6:D10)"],
  );
  assert.equal(ws.getCell("A12").value, "note");
  assert.deepEqual(ws.model.merges, ["A12:B13"]);
  assert.equal(ws.getCell("D7").value, null);
  // Image anchors count rows from 0: the one below moves, the one above stays.
  assert.deepEqual(ws.getImages().map((i) => [i.range.tl.nativeRow, i.range.br?.nativeRow]), [[11, 14], [
    0,
    2,
  ]]);
});
