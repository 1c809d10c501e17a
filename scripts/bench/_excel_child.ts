// One measured series of scripts/bench/excel.ts, in its own process so its peak RSS is its own:
//   aetherflow <dir>      excel_fill_from_file: <dir>/data.csv -> data sheet of a template, schema casting
//   exceljs-stream <dir>  the same CSV read by the same reader, cast the same way, written by exceljs's streaming
//                         WorkbookWriter into a fresh workbook (no template to keep)
// Prints one JSON line {ms, rows}.
import { join } from "node:path";
import { fakeContext, runStep } from "../../engine/steps/_test_context.ts";
import { excelFillFromFileStep } from "../../engine/steps/excel/excel_fill_from_file.ts";
import { openDelimited } from "../../engine/steps/excel/_sources.ts";
import { rowCaster } from "../../engine/steps/excel/_cast.ts";
import { XlDate } from "../../engine/steps/excel/_values.ts";

const [mode, dir] = Deno.args as [string, string];
const dtypes = JSON.parse(await Deno.readTextFile(join(dir, "dtypes.json"))) as Record<string, string>;
const t0 = performance.now();
let rows = 0;
if (mode === "aetherflow") {
  const ctx = fakeContext({ workRoot: dir, jobDir: join(dir, "job") });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  const r = await runStep(excelFillFromFileStep, {
    template_path: join(dir, "template.xlsx"),
    output: join(dir, "out_aetherflow.xlsx"),
    targets: [{ name: "data", source_path: join(dir, "data.csv"), dtypes, cell: "A4" }],
  }, ctx);
  rows = (r.outputs!.written as { rows: number }[])[0]!.rows - 1;
} else {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: join(dir, "out_exceljs.xlsx") });
  const ws = wb.addWorksheet("DATA_data");
  const stream = await openDelimited({
    path: join(dir, "data.csv"),
    format: "csv",
    encoding: "utf-8",
    dialect: { delimiter: ",", quotechar: '"', escapechar: null, doublequote: true, quoting: "minimal" },
  });
  let cast: ((row: readonly unknown[]) => unknown[]) | undefined;
  for await (const batch of stream.batches) {
    for (const row of batch) {
      if (!cast) {
        cast = rowCaster("schema", row.map(String), dtypes);
        ws.addRow(row).commit();
        continue;
      }
      // exceljs wants Dates; the wall clock is kept as UTC, as the step does.
      ws.addRow(cast(row).map((v) => v instanceof XlDate ? new Date(v.ms) : v)).commit();
      rows++;
    }
  }
  ws.commit();
  await wb.commit();
}
console.log(JSON.stringify({ ms: performance.now() - t0, rows }));
