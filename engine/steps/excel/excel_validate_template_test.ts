import assert from "node:assert/strict";
import { runStep } from "../_test_context.ts";
import { excelWork } from "./_test_kit.ts";
import { excelValidateTemplateStep as step } from "./excel_validate_template.ts";

Deno.test("excel_validate_template finds the demo anchors as cell texts", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template.xlsx");
  const r = await runStep(step, { template_path, required_names: ["QIP_ANCHOR", "QC_ANCHOR"] }, w.ctx);
  assert.deepEqual(r.outputs, {
    template_ok: true,
    found_named_ranges: [],
    found_anchor_cells: ["QC_ANCHOR", "QIP_ANCHOR"],
  });
  // A JSON list string and a single name are accepted too.
  for (const required_names of ['["QIP_ANCHOR"]', "QIP_ANCHOR"]) {
    const one = await runStep(step, { template_path, required_names }, w.ctx);
    assert.deepEqual(one.outputs?.found_anchor_cells, ["QIP_ANCHOR"]);
  }
});

Deno.test("excel_validate_template: workbook-level names first, then normalised case-sensitive cell texts", async () => {
  await using w = await excelWork();
  const template_path = await w.template("invoice.xlsx");
  const r = await runStep(step, {
    template_path,
    required_names: ["ItemsTable", "GrandTotal", "  Thank\u00a0  you "],
  }, w.ctx);
  assert.deepEqual(r.outputs, {
    template_ok: true,
    found_named_ranges: ["GrandTotal", "ItemsTable"],
    found_anchor_cells: ["  Thank\u00a0  you "],
  });
  // `Footer` is a sheet-scoped name, and text matching is case-sensitive here.
  await assert.rejects(
    () => runStep(step, { template_path, required_names: ["GrandTotal", "Footer", "thank you"] }, w.ctx),
    {
      message:
        'Template missing named ranges or anchor cells: ["Footer","thank you"] ["GrandTotal","Footer","thank you"]',
    },
  );
});

Deno.test("excel_validate_template: sheet limits the text scan; unknown sheets and files are clear errors", async () => {
  await using w = await excelWork();
  const template_path = await w.template("template_both_modes.xlsx");
  const ok = await runStep(step, { template_path, required_names: ["START"], sheet: "DATA_qip" }, w.ctx);
  assert.deepEqual(ok.outputs?.found_anchor_cells, ["START"]);
  await assert.rejects(
    () => runStep(step, { template_path, required_names: ["QIP_ANCHOR"], sheet: "DATA_qip" }, w.ctx),
    /Template missing named ranges or anchor cells: \["QIP_ANCHOR"\]/,
  );
  await assert.rejects(
    () => runStep(step, { template_path, required_names: ["x"], sheet: "Nope" }, w.ctx),
    { message: "Sheet not found: Nope" },
  );
  await assert.rejects(
    () => runStep(step, { template_path: "missing.xlsx", required_names: ["x"] }, w.ctx),
    { message: `Excel template not found: ${w.art("missing.xlsx")}` },
  );
  await w.write("not.xlsx", "plain text");
  await assert.rejects(
    () => runStep(step, { template_path: "not.xlsx", required_names: ["x"] }, w.ctx),
    /Excel template is not a readable \.xlsx file: .*not\.xlsx/,
  );
});
