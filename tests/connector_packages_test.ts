// The file-format packages the connectors use load under Deno through lazy literal imports and round-trip a
// small document: @zip.js/zip.js (AES), exceljs, hyparquet + hyparquet-writer (+ compressors).
import assert from "node:assert/strict";
import type { CellFormulaValue } from "exceljs";

Deno.test("@zip.js/zip.js writes and reads back an AES-encrypted archive in memory", async () => {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter(), { password: "pw", encryptionStrength: 3 });
  await writer.add("hello ü.txt", new zip.TextReader("hello"));
  const bytes = await writer.close();
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes), { password: "pw" });
  const [entry] = await reader.getEntries();
  assert.equal(entry.filename, "hello ü.txt");
  assert.equal(entry.encrypted, true);
  assert.ok(!entry.directory);
  assert.equal(await entry.getData(new zip.TextWriter()), "hello");
  await reader.close();
});

Deno.test("exceljs writes a workbook with a defined name and a formula, and reads it back", async () => {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Invoice");
  ws.getCell("A1").value = 20.5;
  ws.getCell("A2").value = { formula: "A1*2" } as CellFormulaValue;
  wb.definedNames.add("Invoice!$A$1", "Amount");
  const buf = await wb.xlsx.writeBuffer();
  const back = new ExcelJS.Workbook();
  await back.xlsx.load(buf);
  assert.equal(back.getWorksheet("Invoice")!.getCell("A1").value, 20.5);
  assert.deepEqual(back.definedNames.getRanges("Amount").ranges, ["Invoice!$A$1"]);
  assert.equal(
    (back.getWorksheet("Invoice")!.getCell("A2").value as CellFormulaValue).formula,
    "A1*2",
  );
});

Deno.test("hyparquet-writer writes BIGINT/UTF8 columns that hyparquet (with compressors) reads back", async () => {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const { parquetReadObjects } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const big = 9007199254740993n;
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "id", data: BigInt64Array.from([1n, big]), type: "INT64" },
      { name: "name", data: ["a", "ü"], type: "STRING" },
    ],
  });
  const rows = await parquetReadObjects({ file: buf, compressors });
  assert.deepEqual(rows, [{ id: 1n, name: "a" }, { id: big, name: "ü" }]);
});
