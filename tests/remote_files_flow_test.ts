// A whole flow through the CLI against the harness's sshd and Samba: SFTP list -> download -> SMB upload -> SFTP
// upload with a manifest. The run is SIGKILLed while the SFTP upload is in flight and resumed with the same
// --run-id: finished uploads are not repeated, everything arrives sha-exact, and the passwords (given through
// *_PASS env keys) appear nowhere in the output, the state database or the run directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, runCli, stateRows, tempDir } from "./_helpers.ts";
import { sftpDir, sftpService, smbDir, smbService, writeServedFile } from "./_services.ts";

const sftp = sftpService();
const smb = smbService();

function flowYaml(dir: string, remote: { sftpIn: string; sftpOut: string; smbOut: string }): string {
  return `flow:
  id: remote_files
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  sftp_main:
    kind: sftp
    driver: paramiko
    config:
      host: "{{env.SFTP_HOST}}"
      port: "{{env.SFTP_PORT}}"
      user: "{{env.SFTP_USER}}"
      password: "{{env.SFTP_PASS}}"
      host_key_fingerprint: "{{env.SFTP_HOST_KEY}}"
  smb_main:
    kind: smb
    driver: pysmb
    config:
      server: "{{env.SMB_HOST}}"
      port: "{{env.SMB_PORT}}"
      username: "{{env.SMB_USER}}"
      password: "{{env.SMB_PASS}}"
jobs:
  - id: ingest
    steps:
      - id: list
        type: sftp_list_files
        inputs: {resource: sftp_main, remote_dir: "${remote.sftpIn}", pattern: "*.bin", recursive: true}
      - id: download
        type: sftp_download_files
        inputs: {resource: sftp_main, files: "{{steps.list.files}}", dest_dir: inbox}
      - id: publish
        type: smb_upload_files
        inputs: {resource: smb_main, local_files: "{{steps.download.local_files}}", remote_dir: "${remote.smbOut}"}
      - id: archive
        type: sftp_upload_files
        inputs:
          resource: sftp_main
          items: "{{steps.download.local_files}}"
          remote_dir: "${remote.sftpOut}"
          parallelism: {workers: 1}
`;
}

Deno.test({
  name:
    "flow: SFTP list -> download -> SMB upload -> SFTP upload, killed mid-upload, resumes without repeats",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  const s = sftp.get();
  const m = smb.get();
  await using work = await tempDir();
  await using sIn = await sftpDir("password");
  await using sOut = await sftpDir("password");
  await using smbOut = await smbDir();
  const payload: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    const data = new Uint8Array(8 << 20);
    for (let o = 0; o < data.length; o += 65536) crypto.getRandomValues(data.subarray(o, o + 65536));
    const name = i % 2 ? `sub/f ${i}.bin` : `f ${i}.bin`;
    payload[name] = data;
    await writeServedFile(sIn, name, data);
  }
  const flow = join(work.path, "flow.yaml");
  await Deno.writeTextFile(
    flow,
    flowYaml(work.path, {
      sftpIn: sIn.remote,
      sftpOut: sOut.remote,
      smbOut: `${m.share}:/${smbOut.remote}/out`,
    }),
  );
  const env = {
    SFTP_HOST: s.host,
    SFTP_PORT: String(s.port),
    SFTP_USER: s.passwordUser.user,
    SFTP_PASS: s.passwordUser.password,
    SFTP_HOST_KEY: s.hostKeyFingerprint,
    SMB_HOST: m.host,
    SMB_PORT: String(m.port),
    SMB_USER: m.user,
    SMB_PASS: m.password,
  };

  // First run: killed once the SFTP upload has finished some items but not all.
  const journal = join(work.path, "ws/remote_files/ingest/R1/manifests/archive.manifest.jsonl");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R1"],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 120_000;
  let lines = 0;
  while (Date.now() < deadline) {
    lines = (await Deno.readTextFile(journal).catch(() => "")).split("\n").filter((l) => l !== "").length;
    if (lines >= 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  const first = await child.output();
  assert.ok(lines >= 2 && lines < 6, `killed mid-upload (journal had ${lines} lines)`);
  const firstOut = new TextDecoder().decode(first.stderr);

  const resumed = await runCli(["run", flow, "--run-id", "R1"], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const out = JSON.parse(
    stateRows(
      join(work.path, "state.sqlite"),
      "SELECT output_json FROM step_runs WHERE step_id = 'archive'",
    )[0]!.output_json as string,
  );
  assert.equal(out.count, 6);
  assert.ok(out.skipped >= 2, `finished uploads skipped on resume (${out.skipped})`);
  for (const [name, data] of Object.entries(payload)) {
    const base = name.split("/").at(-1)!;
    assert.deepEqual(await Deno.readFile(join(sOut.local, base)), data, `sftp ${base}`);
    assert.deepEqual(await Deno.readFile(join(smbOut.local, "out", base)), data, `smb ${base}`);
  }
  assert.deepEqual([...Deno.readDirSync(sOut.local)].filter((e) => e.name.endsWith(".part")), []);

  // The passwords are nowhere: not in either run's output, the state DB, or the run directory.
  const secrets = [s.passwordUser.password, m.password];
  const texts = [
    firstOut,
    resumed.stdout,
    resumed.stderr,
    await Deno.readTextFile(join(work.path, "state.sqlite")),
  ];
  for (const e of Deno.readDirSync(work.path)) {
    if (e.isFile) texts.push(await Deno.readTextFile(join(work.path, e.name)).catch(() => ""));
  }
  for (const text of texts) for (const secret of secrets) assert.ok(!text.includes(secret));
});
