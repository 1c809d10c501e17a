// End to end through the CLI against the harness's OpenSSH and Samba: SFTP list -> download ->
// excel_fill_from_file -> SMB upload. The runner is SIGKILLed mid-download, then mid-upload (a relay in front of
// each server stops relaying at a byte count, so the kill lands inside a transfer), and the same run id resumes:
// finished steps are not run again (their outputs are restored), unfinished transfers leave no file under the
// final name, and the third invocation delivers a report equal, byte for byte, to the one built.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, stateRows, tempDir } from "./_helpers.ts";
import { sftpDir, sftpService, smbDir, smbService, writeServedFile } from "./_services.ts";
import { startTcpProxy, type TcpProxy } from "./_tcp_proxy.ts";
import {
  inspectXlsx,
  OPENPYXL_MISSING,
  sha256File,
  sheetOf,
  templatePath,
} from "../engine/steps/excel/_test_kit.ts";

const sftp = sftpService();
const smb = smbService();
const ROWS = 40_000;

function _spawnRun(flow: string, runId: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", runId],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Wait until the relay stalls (a transfer is in flight), then SIGKILL the runner and drop the relay. */
async function _killWhenStalled(child: Deno.ChildProcess, proxy: TcpProxy): Promise<void> {
  const exited = child.output().then((o) => o);
  const deadline = new Promise<"timeout">((r) => {
    const t = setTimeout(() => r("timeout"), 180_000);
    exited.finally(() => clearTimeout(t));
    proxy.stalled.finally(() => clearTimeout(t));
  });
  const first = await Promise.race([proxy.stalled.then(() => "stalled" as const), exited, deadline]);
  if (first !== "stalled") {
    const out = first === "timeout" ? undefined : first;
    child.kill("SIGKILL");
    proxy.cut();
    throw new Error(
      `the run ended before the transfer stalled: ${
        out ? new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) : "timeout"
      }`,
    );
  }
  child.kill("SIGKILL");
  const out = await exited;
  assert.equal(out.signal, "SIGKILL");
  // Connections of the dead runner (and of an orphaned smbclient) go away with the relay.
  proxy.cut();
}

function _steps(dir: string, runId: string): Record<string, string> {
  const rows = stateRows(
    join(dir, "state.sqlite"),
    `SELECT step_id, status FROM step_runs WHERE run_id = '${runId}' ORDER BY rowid`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.step_id), String(r.status)]));
}

Deno.test({
  name: "SFTP list -> download -> excel_fill_from_file -> SMB upload: killed mid-transfer twice, resumes",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  const s = sftp.get();
  const m = smb.get();
  await using inDir = await sftpDir("password");
  await using outDir = await smbDir();
  await using dir = await tempDir();
  let csv = "ID,Name,Value,Timestamp\n";
  for (let i = 1; i <= ROWS; i++) {
    csv += `${i},item ${i},${i * 1.5},2024-01-01 08:${String(i % 60).padStart(2, "0")}:00\n`;
  }
  await writeServedFile(inDir, "qip.csv", csv);
  await Deno.mkdir(join(dir.path, "ws/templates"), { recursive: true });
  await Deno.copyFile(templatePath("template_both_modes.xlsx"), join(dir.path, "ws/templates/t.xlsx"));
  const flow = join(dir.path, "flow.yaml");
  await Deno.writeTextFile(
    flow,
    `flow:
  id: e2e
  workspace: {root: ${dir.path}/ws, cleanup_policy: never}
  state: {path: ${dir.path}/state.sqlite}
resources:
  sftp_in:
    kind: sftp
    driver: paramiko
    config: {host: ${s.host}, port: "{{env.SFTP_PORT}}", user: ${s.passwordUser.user}, password: "{{env.SFTP_PW}}", host_key_fingerprint: "${s.hostKeyFingerprint}"}
    options: {timeout: 20}
  smb_out:
    kind: smb
    driver: smbclient
    config: {server: ${m.host}, port: "{{env.SMB_PORT}}", username: ${m.user}, password: "{{env.SMB_PW}}"}
    options: {timeout: 20}
jobs:
  - id: report
    steps:
      - id: list
        type: sftp_list_files
        inputs: {resource: sftp_in, remote_dir: "${inDir.remote}", pattern: "*.csv", min_count: 1}
      - id: download
        type: sftp_download_files
        inputs: {resource: sftp_in, files: "{{steps.list.files}}", dest_dir: inbox}
      - id: render
        type: excel_fill_from_file
        inputs:
          template_path: ${dir.path}/ws/templates/t.xlsx
          output: "out/report_{{run_id}}.xlsx"
          targets:
            - {name: qip, cell: A4, source_path: inbox/qip.csv, dtypes: {ID: int, Value: float, Timestamp: datetime}}
      - id: upload
        type: smb_upload_files
        inputs: {resource: smb_out, local_files: ["{{steps.render.output}}"], remote_dir: "${m.share}:/${outDir.remote}/reports"}
`,
  );
  const env = (sftpPort: number, smbPort: number) => ({
    SFTP_PORT: String(sftpPort),
    SMB_PORT: String(smbPort),
    SFTP_PW: s.passwordUser.password,
    SMB_PW: m.password,
  });
  const artifacts = join(dir.path, "ws/e2e/report/r1/artifacts");
  const report = join(artifacts, "out/report_r1.xlsx");
  const delivered = join(outDir.local, "reports/report_r1.xlsx");

  // 1. Killed while qip.csv (1.8 MB) is being downloaded.
  {
    await using proxy = await startTcpProxy(s, { stallAfterBytes: { down: 700_000 } });
    await _killWhenStalled(_spawnRun(flow, "r1", env(proxy.port, m.port)), proxy);
  }
  assert.deepEqual(_steps(dir.path, "r1"), { list: "SUCCESS" });
  // No half download under the final name.
  await assert.rejects(Deno.stat(join(artifacts, "inbox/qip.csv")), Deno.errors.NotFound);
  // Listed again, this file would be downloaded too: the resumed run must reuse the recorded listing.
  await writeServedFile(inDir, "late.csv", "ID\n1\n");

  // 2. Killed while the report is being uploaded.
  {
    await using proxy = await startTcpProxy(m, { stallAfterBytes: { up: 200_000 } });
    await _killWhenStalled(_spawnRun(flow, "r1", env(s.port, proxy.port)), proxy);
  }
  assert.deepEqual(_steps(dir.path, "r1"), { list: "SUCCESS", download: "SUCCESS", render: "SUCCESS" });
  assert.equal(await Deno.readTextFile(join(artifacts, "inbox/qip.csv")), csv);
  // No half upload under the final name.
  await assert.rejects(Deno.stat(delivered), Deno.errors.NotFound);
  const built = await sha256File(report);

  // 3. Runs to the end.
  const last = await _spawnRun(flow, "r1", env(s.port, m.port)).output();
  const text = new TextDecoder().decode(last.stdout) + new TextDecoder().decode(last.stderr);
  assert.equal(last.code, 0, text);
  assert.deepEqual(_steps(dir.path, "r1"), {
    list: "SUCCESS",
    download: "SUCCESS",
    render: "SUCCESS",
    upload: "SUCCESS",
  });
  assert.equal(await sha256File(report), built, "the report was not rebuilt");
  assert.equal(await sha256File(delivered), built, "the share holds the report, byte for byte");
  await assert.rejects(Deno.stat(join(artifacts, "inbox/late.csv")), Deno.errors.NotFound);
  assert.ok(!text.includes(s.passwordUser.password) && !text.includes(m.password));
  if (OPENPYXL_MISSING) return;
  const sheet = sheetOf(await inspectXlsx(delivered), "DATA_qip");
  assert.equal(sheet.dims, `A1:D${4 + ROWS}`);
  assert.deepEqual(
    [sheet.cells[`A${4 + ROWS}`]?.v, sheet.cells[`C${4 + ROWS}`]?.v, sheet.cells[`D${4 + ROWS}`]?.t],
    [ROWS, ROWS * 1.5, "datetime"],
  );
});
