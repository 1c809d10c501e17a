// The Excel steps through the real CLI: the documented example flow (testdata/excel/report_flow.yaml) runs end
// to end, and `validate` reports bad target keys and values at their location without running anything.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ROOT, runCli, stateRows, tempDir, writeDemoFlow } from "./_helpers.ts";
import {
  inspectXlsx,
  OPENPYXL_MISSING,
  sheetOf,
  templatePath,
  valuesOf,
} from "../engine/steps/excel/_test_kit.ts";

Deno.test("the Excel example flow builds its report (CLI run, exit 0)", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "templates"));
  await Deno.copyFile(
    templatePath("template_both_modes.xlsx"),
    join(dir.path, "templates/template_both_modes.xlsx"),
  );
  const env = { EXCEL_DEMO_ROOT: dir.path };
  const r = await runCli(["run", join(ROOT, "testdata/excel/report_flow.yaml"), "--run-id", "r1"], { env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const steps = stateRows(
    join(dir.path, "state.sqlite"),
    "SELECT step_id, status FROM step_runs WHERE run_id = 'r1' ORDER BY rowid",
  );
  assert.deepEqual(steps.map((s) => [s.step_id, s.status]), [
    ["extract", "SUCCESS"],
    ["check_template", "SUCCESS"],
    ["render", "SUCCESS"],
    ["render_qc", "SUCCESS"],
  ]);
  const out = join(dir.path, "excel_report/report/r1/artifacts/out/report_r1_final.xlsx");
  assert.ok((await Deno.stat(out)).size > 0);
  if (OPENPYXL_MISSING) return;
  const book = await inspectXlsx(out);
  const report = valuesOf(sheetOf(book, "Report"));
  assert.deepEqual([report.A5, report.B8, report.D8, report.A15, report.E16], [
    "ID",
    'item "3"',
    "2024-01-03T08:30:00",
    "Batch",
    "2024-02-01T00:00:00",
  ]);
  const data = sheetOf(book, "DATA_qip");
  assert.deepEqual([data.freeze, data.autofilter, valuesOf(data).C7], ["A5", "A4:D7", 4.5]);
});

Deno.test("validate reports Excel target mistakes at their YAML location (exit 2)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: j
    steps:
      - id: fill
        type: excel_fill_from_file
        inputs:
          template_path: t.xlsx
          output: o.xlsx
          targets:
            - name: qip
              source_path: a.csv
              insert: bellow
              anchr: QIP_ANCHOR
`,
  );
  const r = await runCli(["validate", flow, "--json"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const errors = JSON.parse(r.stdout).errors as { code: string; loc: string; msg: string; line?: number }[];
  assert.deepEqual(errors.map((e) => [e.code, e.loc, e.msg]).sort(), [
    [
      "semantic:invalid_input",
      "jobs[0].steps[0].inputs.targets[0].insert",
      "excel_fill_from_file target=qip: invalid insert=bellow",
    ],
    [
      "semantic:unknown_input",
      "jobs[0].steps[0].inputs.targets[0].anchr",
      "Extra inputs are not permitted (did you mean 'anchor'?)",
    ],
  ]);
  assert.ok(errors.every((e) => typeof e.line === "number"), JSON.stringify(errors));
});

Deno.test({
  name:
    "db_extract_stream -> excel_fill_from_file: the extract's dtypes cast CSV cells; parquet keeps its types",
  ignore: OPENPYXL_MISSING !== undefined,
}, async () => {
  await using dir = await tempDir();
  const db = new DatabaseSync(join(dir.path, "src.db"));
  db.exec(`CREATE TABLE qip (ID int, Name text, Value double, Timestamp text);`);
  const insert = db.prepare("INSERT INTO qip VALUES (?, ?, ?, ?)");
  for (let i = 1; i <= 12; i++) {
    insert.run(i, `item${i}`, i * 1.5, `2024-01-${String(i).padStart(2, "0")} 08:30:00`);
  }
  db.close();
  await Deno.mkdir(join(dir.path, "ws"), { recursive: true });
  await Deno.copyFile(templatePath("template_both_modes.xlsx"), join(dir.path, "ws/t.xlsx"));
  const dtypes = `{ID: int, Name: string, Value: float, Timestamp: datetime}`;
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: j
    steps:
      - id: q_csv
        type: db_extract_stream
        inputs: {resource: src, sql: "SELECT * FROM qip LIMIT 10", output: data/qip.csv, format: csv, emit_dtypes: true}
      - id: q_parquet
        type: db_extract_stream
        inputs: {resource: src, sql: "SELECT * FROM qip LIMIT 10", output: data/qip.parquet, format: parquet, dtypes: ${dtypes}}
      - id: render
        type: excel_fill_from_file
        inputs:
          template_path: ${dir.path}/ws/t.xlsx
          output: out/report.xlsx
          targets:
            - {name: qip, cell: A4, source_path: "{{steps.q_csv.artifact_path}}", dtypes_json: "{{steps.q_csv.dtypes_json}}"}
            - {name: pq, source_path: "{{steps.q_parquet.artifact_path}}"}
`,
    { resources: `  src: {kind: db, driver: sqlite3, config: {path: ${dir.path}/src.db}}` },
  );
  const r = await runCli(["run", flow, "--run-id", "r1"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const book = await inspectXlsx(join(dir.path, "ws/demo/j/r1/artifacts/out/report.xlsx"));
  // SQLite declares no types: the extract infers int/string/float/string from the values.
  const csv = sheetOf(book, "DATA_qip");
  assert.deepEqual(["A5", "B5", "C6", "D5"].map((a) => [csv.cells[a]?.v, csv.cells[a]?.t]), [
    [1, "int"],
    ["item1", "str"],
    [3, "int"],
    ["2024-01-01 08:30:00", "str"],
  ]);
  const pq = sheetOf(book, "DATA_pq");
  assert.deepEqual(["A1", "A2", "C3", "D11"].map((a) => [pq.cells[a]?.v, pq.cells[a]?.t]), [
    ["ID", "str"],
    [1, "int"],
    [3, "int"],
    ["2024-01-10T08:30:00", "datetime"],
  ]);
});
