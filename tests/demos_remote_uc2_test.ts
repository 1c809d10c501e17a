// examples/multiflows-remote/uc2 against the harness's servers (docs/testing.md): the bundle on the Samba
// share, PostgreSQL standing in for Exasol (same SQL; the acceptance copy of the flow names db:postgres), mail
// to an in-process SMTP sink. CSVs byte for byte, both workbooks cell by cell (values, types, the listed
// styles), the SMB uploads, the mail, the state; then a failure in a late step resumed with the same run id.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Worksheet } from "exceljs";
import { runCli, tempDir } from "./_helpers.ts";
import { REMOTE_UC2, remoteDemoEnv, seedQipQc, uploadUc2Bundle } from "./_demo_remote_kit.ts";
import { postgresDatabase, postgresService, smbDir, smbService } from "./_services.ts";
import { startSmtpSink } from "./_smtp_sink.ts";

const pg = postgresService();
const smb = smbService();

const QIP_CSV = [
  "ID,Name,Value,Timestamp",
  "1,item1,1.5,2024-01-01 08:30:00",
  "2,item2,3,2024-01-02 08:30:00",
  "3,item3,4.5,2024-01-03 08:30:00",
  "4,item4,6,2024-01-04 08:30:00",
  "5,item5,7.5,2024-01-05 08:30:00",
  "6,item6,9,2024-01-06 08:30:00",
  "7,item7,10.5,2024-01-07 08:30:00",
  "8,item8,12,2024-01-08 08:30:00",
  "9,item9,13.5,2024-01-09 08:30:00",
  "10,item10,15,2024-01-10 08:30:00",
  "",
].join("\n");

const QC_CSV = [
  "Batch,Check_Type,Result,Inspector,Date",
  "B001,visual,PASS,insp1,2024-02-01",
  "B002,visual,PASS,insp2,2024-02-02",
  "B003,visual,FAIL,insp3,2024-02-03",
  "B004,visual,PASS,insp0,2024-02-04",
  "B005,visual,PASS,insp1,2024-02-05",
  "B006,visual,FAIL,insp2,2024-02-06",
  "B007,visual,PASS,insp3,2024-02-07",
  "B008,visual,PASS,insp0,2024-02-08",
  "B009,visual,FAIL,insp1,2024-02-09",
  "B010,visual,PASS,insp2,2024-02-10",
  "",
].join("\n");

function stepRows(
  state: string,
  runId: string,
): Record<string, { status: string; out: Record<string, unknown> }> {
  const db = new DatabaseSync(state, { readOnly: true });
  try {
    const rows = db.prepare("SELECT step_id, status, output_json FROM step_runs WHERE run_id = ?").all(runId);
    return Object.fromEntries(rows.map((r) => [
      String(r.step_id),
      { status: String(r.status), out: JSON.parse(String(r.output_json ?? "{}")) },
    ]));
  } finally {
    db.close();
  }
}

function values(ws: Worksheet, row: number, cols: number): unknown[] {
  return Array.from({ length: cols }, (_, i) => ws.getRow(row).getCell(i + 1).value);
}

const ts = (day: number) => new Date(Date.UTC(2024, 0, day, 8, 30));

Deno.test({
  name: "remote uc2: PostgreSQL -> CSV -> two Excel reports -> Samba -> SMTP, then a late failure resumed",
  ignore: pg.ignore || smb.ignore,
}, async (t) => {
  const smbInfo = smb.get();
  await using db = await postgresDatabase();
  await seedQipQc(db.url);
  await using share = await smbDir();
  await using local = await tempDir("af-remote-uc2-");
  await using sink = await startSmtpSink();
  await uploadUc2Bundle(share); // exasol_main on db:postgres (the acceptance copy)
  await Deno.copyFile(join(REMOTE_UC2, "manifest_smb.yaml"), join(local.path, "manifest_smb.yaml"));
  const env = { ...remoteDemoEnv({ root: local.path, smb: smbInfo, share, smtp: sink }), PG_URL: db.url };
  const run = (runId: string, extra: Record<string, string> = {}) =>
    runCli(["run", "--bundle-manifest", "manifest_smb.yaml", "--run-id", runId], {
      cwd: local.path,
      env: { ...env, ...extra },
    });
  const state = join(local.path, "state/usecase2_exasol_to_excel.sqlite");
  const art = (runId: string) =>
    join(local.path, "work/usecase2_exasol_to_excel/build_report", runId, "artifacts");

  const r = await run("uc2run");
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes('status_counts={"SUCCESS":1}'));
  assert.ok(!r.stderr.includes("Missing env env.AETHERFLOW_ACTIVE_DIR"));
  assert.ok(!r.stderr.includes(smbInfo.password), "the SMB password is masked");
  const steps = stepRows(state, "uc2run");
  assert.deepEqual(Object.keys(steps).sort(), [
    "email",
    "fetch_small",
    "q_c",
    "q_ip",
    "render_large",
    "render_small",
    "smb_upload",
    "validate_template_multi_modes_1",
    "validate_template_multi_modes_2",
    "validate_template_small",
  ]);
  assert.ok(Object.values(steps).every((s) => s.status === "SUCCESS"));

  await t.step("CSVs and extract outputs", async () => {
    assert.equal(await Deno.readTextFile(join(art("uc2run"), "data/qip.csv")), QIP_CSV);
    assert.equal(await Deno.readTextFile(join(art("uc2run"), "data/qc.csv")), QC_CSV);
    assert.equal(steps.q_ip!.out.row_count, 10);
    assert.deepEqual(steps.q_ip!.out.dtypes, {
      ID: "int",
      Name: "string",
      Value: "float",
      Timestamp: "datetime",
    });
    assert.deepEqual(steps.q_c!.out.dtypes, {
      Batch: "string",
      Check_Type: "string",
      Result: "string",
      Inspector: "string",
      Date: "date",
    });
    const rowsJson = JSON.parse(String(steps.fetch_small!.out.rows_json));
    assert.deepEqual(rowsJson[0], [1, "item1", 1.5, "2024-01-01T08:30:00"]);
    assert.equal(rowsJson.length, 10);
    assert.deepEqual(steps.validate_template_small!.out.found_anchor_cells, ["QC_ANCHOR", "QIP_ANCHOR"]);
  });

  const { default: ExcelJS } = await import("exceljs");
  const open = async (name: string) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(art("uc2run"), "out", name));
    return wb;
  };

  await t.step("small report: QIP typed rows below the emptied anchor, template shifted", async () => {
    const ws = (await open("report_uc2run_small.xlsx")).getWorksheet("Report")!;
    assert.equal(ws.getCell("A1").value, "AUTO DATA INSERT TEMPLATE");
    assert.equal(ws.getCell("A3").value, "QIP SECTION");
    assert.equal(ws.getCell("A4").value, null);
    assert.equal(ws.getCell("A4").font?.bold, true);
    assert.deepEqual(values(ws, 5, 4), ["ID", "Name", "Value", "Timestamp"]);
    assert.deepEqual(values(ws, 6, 4), [1, "item1", 1.5, ts(1)]);
    assert.deepEqual(values(ws, 15, 4), [10, "item10", 15, ts(10)]);
    assert.equal(ws.getCell("A20").value, "QC SECTION");
    assert.equal(ws.getCell("A21").value, "QC_ANCHOR");
    assert.deepEqual(values(ws, 22, 5), ["Batch", "Check_Type", "Result", "Inspector", "Date"]);
  });

  await t.step("large report: both Report regions and the four data sheets", async () => {
    const wb = await open("report_uc2run_large.xlsx");
    assert.deepEqual(wb.worksheets.map((w) => w.name), [
      "Report",
      "DATA_qip",
      "DATA_qc",
      "DATA_demo",
      "DATA_raw",
    ]);
    const rep = wb.getWorksheet("Report")!;
    assert.deepEqual(values(rep, 6, 4), [1, "item1", 1.5, ts(1)]);
    assert.equal(rep.getCell("A20").value, "QC SECTION");
    assert.equal(rep.getCell("A21").value, null);
    assert.deepEqual(values(rep, 22, 5), ["Batch", "Check_Type", "Result", "Inspector", "Date"]);
    assert.deepEqual(values(rep, 23, 5), ["B001", "visual", "PASS", "insp1", new Date(Date.UTC(2024, 1, 1))]);
    assert.deepEqual(values(rep, 32, 5), [
      "B010",
      "visual",
      "PASS",
      "insp2",
      new Date(Date.UTC(2024, 1, 10)),
    ]);
    assert.equal(rep.getCell("A33").value, null);

    const qip = wb.getWorksheet("DATA_qip")!;
    assert.deepEqual(values(qip, 4, 4), ["ID", "Name", "Value", "Timestamp"]);
    assert.equal(qip.getCell("A4").font?.bold, true);
    assert.deepEqual(values(qip, 5, 4), [1, "item1", 1.5, ts(1)]);
    assert.deepEqual(values(qip, 14, 4), [10, "item10", 15, ts(10)]);
    assert.notEqual(qip.getCell("A1").value, null, "the notes above stay");
    assert.equal(qip.views[0]?.state, "frozen");
    assert.equal((qip.views[0] as { ySplit?: number }).ySplit, 4);
    assert.equal(String(qip.autoFilter), "A4:D14");
    const qc = wb.getWorksheet("DATA_qc")!;
    assert.deepEqual(values(qc, 4, 5), ["Batch", "Check_Type", "Result", "Inspector", "Date"]);
    assert.equal(String(qc.autoFilter), "A4:E14");

    const demo = wb.getWorksheet("DATA_demo")!;
    assert.deepEqual(values(demo, 1, 4), ["ID", "Name", "Value", "Timestamp"]);
    assert.deepEqual(values(demo, 2, 4), ["1", "item1", "1.5", "2024-01-01 08:30:00"], "no dtypes: strings");
    assert.deepEqual(values(demo, 11, 4), ["10", "item10", "15", "2024-01-10 08:30:00"]);
    assert.equal(String(demo.autoFilter), "A1:D11");

    const raw = wb.getWorksheet("DATA_raw")!;
    assert.deepEqual(values(raw, 4, 4), ["ID", "Name", "Value", "Timestamp"]);
    assert.deepEqual(values(raw, 5, 4), [1, "item1", 1.5, ts(1)]);
    assert.equal(raw.getCell("E4").value, null);
    const fill = raw.getCell("E4").fill as { fgColor?: { argb?: string } } | undefined;
    assert.match(String(fill?.fgColor?.argb), /D9E1F2$/i, "E4:T4 keep the template styling");
    assert.equal(String(raw.autoFilter), "A4:D14");
  });

  await t.step("SMB uploads and the mail", async () => {
    for (const size of ["small", "large"]) {
      const name = `report_uc2run_${size}.xlsx`;
      assert.deepEqual(
        await Deno.readFile(join(share.local, "reports", name)),
        await Deno.readFile(join(art("uc2run"), "out", name)),
      );
    }
    assert.equal(sink.messages.length, 1);
    const m = await sink.messages[0]!.parsed();
    assert.equal(m.subject, "Aetherflow UC2 completed uc2run");
    assert.deepEqual([sink.messages[0]!.from, sink.messages[0]!.to], ["no-reply@test.com", [
      "ops@example.test",
    ]]);
    assert.equal(m.text?.trim(), "Uploaded report_uc2run_[small|large].xlsx to SMB.");
  });

  await t.step(
    "a failure in a late step, then the same run id resumes with fetch_small's outputs",
    async () => {
      const failed = await run("uc2resume", { SMTP_PORT: "1" });
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /SMTP send failed/);
      const done = stepRows(state, "uc2resume");
      assert.equal(done.smb_upload?.status, "SUCCESS", "everything before the mail is done");
      assert.notEqual(done.email?.status, "SUCCESS");
      const again = await run("uc2resume");
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stderr.includes("Step skip (resume) step_id=fetch_small prev=SUCCESS"));
      assert.ok(Object.values(stepRows(state, "uc2resume")).every((s) => s.status === "SUCCESS"));
      assert.equal(sink.messages.length, 2);
    },
  );
});
