// `doctor --connect` against the harness's real OpenSSH and Samba servers: the sftp and smb drivers log in and
// list, a wrong password fails with the server's reason (masked), within the probe's timeout.
import assert from "node:assert/strict";
import { sftpService, smbService } from "./_services.ts";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

const sftp = sftpService();
const smb = smbService();
const JOBS = "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n";

Deno.test({
  name: "doctor --connect logs in to SFTP and SMB and lists; a wrong password is a FAIL",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  await using dir = await tempDir();
  const s = sftp.get();
  const m = smb.get();
  const flow = await writeDemoFlow(dir.path, JOBS, {
    resources: [
      `  files: {kind: sftp, driver: paramiko, config: {host: ${s.host}, port: ${s.port}, user: ${s.passwordUser.user}, password: "{{env.SFTP_PW}}", host_key_fingerprint: "${s.hostKeyFingerprint}"}}`,
      `  files_bad: {kind: sftp, driver: paramiko, config: {host: ${s.host}, port: ${s.port}, user: ${s.passwordUser.user}, password: "{{env.SFTP_BAD_PW}}", host_key_fingerprint: "${s.hostKeyFingerprint}"}}`,
      `  share: {kind: smb, driver: smbclient, config: {server: ${m.host}, port: ${m.port}, share: ${m.share}, username: ${m.user}, password: "{{env.SMB_PW}}"}}`,
    ].join("\n"),
  });
  const env = { SFTP_PW: s.passwordUser.password, SFTP_BAD_PW: "wrong-password-xyz", SMB_PW: m.password };
  const r = await runCli(["doctor", flow, "--connect", "--timeout", "30", "--json"], { env });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.ok(!r.stdout.includes("wrong-password-xyz") && !r.stdout.includes(s.passwordUser.password));
  const doc = JSON.parse(r.stdout);
  const by = Object.fromEntries(doc.connect.map((c: { resource: string }) => [c.resource, c]));
  assert.equal(by.files.status, "OK", JSON.stringify(by.files));
  assert.match(by.files.detail, /listed/, "the driver's own probe: logged in and listed");
  assert.equal(by.share.status, "OK", JSON.stringify(by.share));
  assert.match(by.share.detail, /\w/);
  assert.equal(by.files_bad.status, "FAIL");
  assert.match(by.files_bad.detail, /^(opening the connector|probing): .*authentication/i);
});
