import assert from "node:assert/strict";
import { formatReportJson, formatReportText, type ValidationReport } from "./report.ts";

const REPORT: ValidationReport = {
  ok: false,
  errors: [
    {
      code: "schema:extra_forbidden",
      loc: "notes",
      msg: "Extra inputs are not permitted",
      line: 3,
      col: 1,
      file: "f.yaml",
    },
    {
      code: "template:syntax",
      loc: "jobs[0].steps[0].inputs.b",
      msg: "Unsupported templating syntax\ndetail",
    },
  ],
  warnings: [{
    code: "semantic:missing_env",
    loc: "flow.id",
    msg: "Missing env env.X",
    line: 2,
    col: 7,
    file: "f.yaml",
  }],
  flow_yaml: "f.yaml",
  snapshot: { SECRET: "x" },
};

Deno.test("formatReportJson() prints one line with the contract key order", () => {
  const text = formatReportJson(REPORT);
  assert.equal(text.includes("\n"), false);
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc), ["ok", "errors", "warnings", "flow_yaml"]);
  assert.deepEqual(Object.keys(doc.errors[0]), ["code", "loc", "msg", "line", "col"]);
  assert.deepEqual(Object.keys(doc.errors[1]), ["code", "loc", "msg"]);
});

Deno.test("formatReportText() keeps the spec prefix and appends positions", async (t) => {
  const CASES: readonly [string, ValidationReport, readonly string[]][] = [
    ["invalid report", REPORT, [
      "INVALID: f.yaml",
      "- notes: schema:extra_forbidden - Extra inputs are not permitted (f.yaml:3:1)",
      "- jobs[0].steps[0].inputs.b: template:syntax - Unsupported templating syntax",
      "detail",
      "! flow.id: semantic:missing_env - Missing env env.X (f.yaml:2:7)",
    ]],
    ["ok report still lists warnings", { ...REPORT, ok: true, errors: [] }, [
      "OK: f.yaml",
      "! flow.id: semantic:missing_env - Missing env env.X (f.yaml:2:7)",
    ]],
  ];
  for (const [name, report, lines] of CASES) {
    await t.step(name, () => assert.deepEqual(formatReportText(report).split("\n"), lines));
  }
});
