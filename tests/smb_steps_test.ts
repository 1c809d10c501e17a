// The smb_* steps against the harness's Samba through the real connector accessor (smb:pysmb, the demos'
// driver): recursive listing with rel_paths built from names, download, upload to remote_dir/<basename>, delete.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import { fakeContext, runStep } from "../engine/steps/_test_context.ts";
import { smbDeleteFiles } from "../engine/steps/files/delete_files.ts";
import { smbDownloadFiles } from "../engine/steps/files/download_files.ts";
import { smbListFiles } from "../engine/steps/files/list_files.ts";
import { smbUploadFiles } from "../engine/steps/files/upload_files.ts";
import { smbDir, smbService, writeServedFile } from "./_services.ts";
import { tempDir } from "./_helpers.ts";

const smb = smbService();

Deno.test({
  name: "smb steps: list (recursive, pattern) -> download -> upload to remote_dir/<basename> -> delete",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using dir = await smbDir();
  await using work = await tempDir();
  await writeServedFile(dir, "in/a.zip", "A");
  await writeServedFile(dir, "in/sub/b ü.zip", "BB");
  await writeServedFile(dir, "in/skip.txt", "x");
  const connectors = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      smb_main: {
        kind: "smb",
        driver: "pysmb",
        config: { server: info.host, port: info.port, username: info.user, password: info.password },
        options: {},
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const ctx = fakeContext({ workRoot: work.path, connectors });
  const base = `${info.share}:/${dir.remote}`;
  try {
    const listed = await runStep(smbListFiles, {
      resource: "smb_main",
      remote_dir: `${base}/in\\`,
      pattern: "*.zip",
      recursive: true,
    }, ctx);
    const files = listed.outputs!.files as Record<string, unknown>[];
    assert.deepEqual(files.map((f) => [f.rel_path, f.path, f.size]), [
      ["a.zip", `${base}/in/a.zip`, 1],
      ["sub/b ü.zip", `${base}/in/sub/b ü.zip`, 2],
    ]);
    await assert.rejects(
      runStep(smbListFiles, { resource: "smb_main", remote_dir: `${base}/nope` }, ctx),
      /^StepError: SMBListFiles list failed: SMB list .*nope failed: no such file or directory/,
    );

    const got = await runStep(smbDownloadFiles, { resource: "smb_main", files, dest_dir: "inbox" }, ctx);
    const inbox = join(ctx.artifactsDir, "inbox");
    assert.deepEqual(got.outputs!.local_files, [join(inbox, "a.zip"), join(inbox, "sub/b ü.zip")]);
    assert.equal(await Deno.readTextFile(join(inbox, "sub/b ü.zip")), "BB");

    const up = await runStep(smbUploadFiles, {
      resource: "smb_main",
      local_files: ["inbox/sub/b ü.zip", join(inbox, "a.zip")],
      remote_dir: `${base}/out/deep`,
    }, ctx);
    assert.deepEqual(up.outputs, {
      uploaded: [join(inbox, "sub/b ü.zip"), join(inbox, "a.zip")],
      remote_dir: `${base}/out/deep`,
    });
    assert.deepEqual([...Deno.readDirSync(join(dir.local, "out/deep"))].map((e) => e.name).sort(), [
      "a.zip",
      "b ü.zip",
    ]);

    assert.deepEqual((await runStep(smbDeleteFiles, { resource: "smb_main", files }, ctx)).outputs, {
      is_deleted: true,
    });
    assert.deepEqual([...Deno.readDirSync(join(dir.local, "in"))].map((e) => e.name).sort(), [
      "skip.txt",
      "sub",
    ]);
  } finally {
    await connectors.closeAll();
  }
});
