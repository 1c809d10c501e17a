// Bundle sources `sftp` and `smb` against the harness's sshd and Samba: the bootstrap resource is rendered from
// the environment, the tree below base_path is synced (subdirectories, a space in a name), a change on the
// server is picked up by the next sync (docs/bundles.md "Connector sources").
import assert from "node:assert/strict";
import { join } from "node:path";
import { BASIC_TREE, bundleFixture } from "../engine/bundles/_test_kit.ts";
import { sftpDir, sftpService, smbDir, smbService, writeServedFile } from "./_services.ts";

const sftp = sftpService();
const smb = smbService();

const TREE: Record<string, string> = {
  ...BASIC_TREE,
  "flows/sub dir/extra.yaml": "flow: {id: extra}\njobs: []\n",
};
const FETCHED = ["flows/main.yaml", "flows/sub dir/extra.yaml", "plugins/x.wasm", "profiles.yaml"];

function manifest(source: string, resource: string): string {
  return [
    "bundle:",
    "  id: remote",
    `  source: ${source}`,
    "  layout: {flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}",
    "  entry_flow: flows/main.yaml",
    "resources:",
    resource,
  ].join("\n");
}

Deno.test({
  name: "bundle source sftp: syncs the tree below base_path, then picks up a change",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("password");
  for (const [rel, text] of Object.entries(TREE)) await writeServedFile(dir, `uc1/${rel}`, text);
  await using fx = await bundleFixture(manifest(
    `{type: sftp, resource: sftp_boot, base_path: "${dir.remote}/uc1/", strict_fingerprint: true}`,
    `  sftp_boot:
    kind: sftp
    driver: paramiko
    config:
      host: "{{env.SFTP_HOST}}"
      port: "{{env.SFTP_PORT}}"
      user: "{{env.SFTP_USER}}"
      password: "{{env.SFTP_PASS}}"
      host_key_fingerprint: "{{env.SFTP_HOST_KEY}}"`,
  ));
  const snapshot = {
    SFTP_HOST: info.host,
    SFTP_PORT: String(info.port),
    SFTP_USER: info.passwordUser.user,
    SFTP_PASS: info.passwordUser.password,
    SFTP_HOST_KEY: info.hostKeyFingerprint,
  };
  const r1 = await fx.sync({ snapshot });
  assert.deepEqual(r1.fetched_files, FETCHED);
  assert.equal(
    await Deno.readTextFile(join(r1.active_dir, "flows/sub dir/extra.yaml")),
    TREE["flows/sub dir/extra.yaml"],
  );
  await writeServedFile(dir, "uc1/profiles.yaml", "changed: {}\n");
  const r2 = await fx.sync({ snapshot });
  assert.deepEqual([r2.changed, r2.fetched_files], [true, ["profiles.yaml"]]);
  assert.equal(await Deno.readTextFile(join(r2.active_dir, "profiles.yaml")), "changed: {}\n");
});

Deno.test(
  {
    name: "bundle source smb: syncs the tree below a SHARE:/ base_path given through {{env.X}}",
    ignore: smb.ignore,
  },
  async () => {
    const info = smb.get();
    await using dir = await smbDir();
    for (const [rel, text] of Object.entries(TREE)) await writeServedFile(dir, `uc1/${rel}`, text);
    await using fx = await bundleFixture(manifest(
      `{type: smb, resource: smb_main, base_path: "{{env.SMB_ROOT:Nope:/none}}/uc1", strict_fingerprint: true}`,
      `  smb_main:
    kind: smb
    driver: pysmb
    config:
      server: "{{env.SMB_HOST}}"
      port: "{{env.SMB_PORT:445}}"
      username: "{{env.SMB_USER}}"
      password: "{{env.SMB_PASS}}"`,
    ));
    const r = await fx.sync({
      snapshot: {
        SMB_HOST: info.host,
        SMB_PORT: String(info.port),
        SMB_USER: info.user,
        SMB_PASS: info.password,
        SMB_ROOT: `${info.share}:/${dir.remote}`,
      },
    });
    assert.deepEqual(r.fetched_files, FETCHED);
    assert.equal(await Deno.readTextFile(join(r.active_dir, "flows/main.yaml")), TREE["flows/main.yaml"]);
  },
);
