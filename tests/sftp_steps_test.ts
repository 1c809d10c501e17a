// The sftp_* steps against the harness's OpenSSH server, through the real connector accessor: listing
// (recursive, fnmatch, unicode and space names, min_count), download keeping rel_path, delete, and uploads with
// the manifest — including a run cut mid-transfer that resumes without uploading finished items again.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import { fakeContext, runStep } from "../engine/steps/_test_context.ts";
import { sftpDeleteFiles } from "../engine/steps/files/delete_files.ts";
import { sftpDownloadFiles } from "../engine/steps/files/download_files.ts";
import { sftpListFiles } from "../engine/steps/files/list_files.ts";
import { sftpUploadFiles } from "../engine/steps/files/upload_files.ts";
import { sftpDir, sftpService, writeServedFile } from "./_services.ts";
import { tempDir } from "./_helpers.ts";
import { startTcpProxy } from "./_tcp_proxy.ts";

const sftp = sftpService();

function accessor(port?: number): ConnectorAccessor {
  const info = sftp.get();
  return new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      sftp_main: {
        kind: "sftp",
        driver: "paramiko",
        config: {
          host: info.host,
          port: port ?? info.port,
          user: info.passwordUser.user,
          password: info.passwordUser.password,
          host_key_fingerprint: info.hostKeyFingerprint,
        },
        options: { timeout: 20 },
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
}

Deno.test({
  name: "sftp steps: list (recursive, pattern, min_count) -> download keeping rel_path -> delete",
  ignore: sftp.ignore,
}, async () => {
  await using dir = await sftpDir("password");
  await using work = await tempDir();
  await writeServedFile(dir, "a.zip", "A");
  await writeServedFile(dir, "sub/b ü.zip", "BB");
  await writeServedFile(dir, "sub/deeper/c d.zip", "CCC");
  await writeServedFile(dir, "ignore.txt", "x");
  const connectors = accessor();
  const ctx = fakeContext({ workRoot: work.path, connectors });
  try {
    const listed = await runStep(sftpListFiles, {
      resource: "sftp_main",
      remote_dir: `${dir.remote}/`,
      pattern: "*.zip",
      recursive: "true",
    }, ctx);
    assert.equal(listed.status, "SUCCESS");
    const files = listed.outputs!.files as Record<string, unknown>[];
    assert.deepEqual(files.map((f) => [f.rel_path, f.path, f.name, f.is_dir, f.size, f.sha256]), [
      ["a.zip", `${dir.remote}/a.zip`, "a.zip", false, 1, null],
      ["sub/b ü.zip", `${dir.remote}/sub/b ü.zip`, "b ü.zip", false, 2, null],
      ["sub/deeper/c d.zip", `${dir.remote}/sub/deeper/c d.zip`, "c d.zip", false, 3, null],
    ]);
    assert.deepEqual(Object.keys(files[0]!), [
      "rel_path",
      "path",
      "name",
      "is_dir",
      "size",
      "mtime",
      "sha256",
    ]);
    assert.equal(typeof files[0]!.mtime, "number");
    assert.equal(listed.outputs!.count, 3);

    // Not recursive: directories are entries like files.
    const flat = await runStep(sftpListFiles, { resource: "sftp_main", remote_dir: dir.remote }, ctx);
    assert.deepEqual(
      (flat.outputs!.files as { rel_path: string; is_dir: boolean }[]).map((f) => [f.rel_path, f.is_dir]),
      [
        ["a.zip", false],
        ["ignore.txt", false],
        ["sub", true],
      ],
    );
    const none = await runStep(sftpListFiles, {
      resource: "sftp_main",
      remote_dir: dir.remote,
      pattern: "*.csv",
      min_count: 1,
    }, ctx);
    assert.deepEqual([none.status, none.outputs, none.reason], [
      "SKIPPED",
      { has_data: false, count: 0, files: [] },
      "count(0) < min_count(1)",
    ]);

    const got = await runStep(sftpDownloadFiles, { resource: "sftp_main", files, dest_dir: "inbox" }, ctx);
    const inbox = join(ctx.artifactsDir, "inbox");
    assert.deepEqual(got.outputs, {
      local_files: [join(inbox, "a.zip"), join(inbox, "sub/b ü.zip"), join(inbox, "sub/deeper/c d.zip")],
      dest_dir: inbox,
    });
    assert.equal(await Deno.readTextFile(join(inbox, "sub/deeper/c d.zip")), "CCC");
    await assert.rejects(
      runStep(sftpDownloadFiles, {
        resource: "sftp_main",
        files: [{ path: `${dir.remote}/a.zip`, rel_path: "../../escape.zip" }],
        dest_dir: "inbox",
      }, ctx),
      /^StepError: dest path escapes dest_dir: \.\.\/\.\.\/escape\.zip$/,
    );

    const del = await runStep(sftpDeleteFiles, { resource: "sftp_main", files }, ctx);
    assert.deepEqual(del.outputs, { is_deleted: true });
    const left = await runStep(sftpListFiles, {
      resource: "sftp_main",
      remote_dir: dir.remote,
      recursive: true,
      min_count: 0,
    }, ctx);
    assert.deepEqual((left.outputs!.files as { rel_path: string }[]).map((f) => f.rel_path), ["ignore.txt"]);

    await assert.rejects(
      runStep(
        sftpListFiles,
        { resource: "sftp_main", remote_dir: `${dir.remote}/missing`, recursive: true },
        ctx,
      ),
      new RegExp(
        `^StepError: SFTPListFiles list failed: ${dir.remote}/missing true SFTP list ${dir.remote}/missing failed: No such file`,
      ),
    );
  } finally {
    await connectors.closeAll();
  }
});

Deno.test({
  name:
    "sftp_upload_files: cut mid-transfer, the step fails with nothing reported; the rerun skips finished ids",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("password");
  await using work = await tempDir();
  const local = join(work.path, "local");
  await Deno.mkdir(local);
  const items: Record<string, string>[] = [];
  for (let i = 0; i < 6; i++) {
    const file = join(local, `part ${i}.bin`);
    // Small files first, then large ones: the cut lands while a large one is in flight.
    const size = i < 3 ? 1000 + i : 8 << 20;
    const data = new Uint8Array(size);
    for (let o = 0; o < size; o += 65536) crypto.getRandomValues(data.subarray(o, Math.min(size, o + 65536)));
    await Deno.writeFile(file, data);
    items.push({ file, id: `id-${i}`, remote_name: `p ${i}.bin` });
  }
  const inputs = {
    resource: "sftp_main",
    items,
    remote_dir: `${dir.remote}/out/`,
    parallelism: { workers: 1 },
  };

  const proxy = await startTcpProxy(info, { cutAfterBytes: { up: 12 << 20 } });
  const cutRun = accessor(proxy.port);
  const ctx1 = fakeContext({ workRoot: work.path, connectors: cutRun, stepId: "upload" });
  const err = await runStep(sftpUploadFiles, inputs, ctx1).catch((e) => e as Error);
  await proxy[Symbol.asyncDispose]();
  await cutRun.closeAll();
  assert.ok(err instanceof Error);
  assert.match(err.message, /^ThreadPool task failed at index=4: SFTP upload .*p 4\.bin failed/);
  const journal = (await Deno.readTextFile(join(ctx1.manifestsDir, "upload.manifest.jsonl"))).trim().split(
    "\n",
  )
    .map((l) => JSON.parse(l).id);
  assert.deepEqual(journal, ["id-0", "id-1", "id-2", "id-3"]);
  const remoteOut = join(dir.local, "out");
  const present = () => [...Deno.readDirSync(remoteOut)].map((e) => e.name).sort();
  // p 4 never appears under its name: its cut upload is only a `.part` the dead connection could not remove.
  assert.deepEqual(present().filter((n) => !n.endsWith(".part")), [
    "p 0.bin",
    "p 1.bin",
    "p 2.bin",
    "p 3.bin",
  ]);

  // Resume (same job run): finished ids are skipped, the rest uploaded; the manifest lists everything.
  await Deno.remove(join(remoteOut, "p 0.bin")); // proves id-0 is not uploaded again
  const resumed = accessor();
  const ctx2 = fakeContext({ workRoot: work.path, connectors: resumed, stepId: "upload" });
  try {
    const out = await runStep(sftpUploadFiles, inputs, ctx2);
    assert.deepEqual(out.outputs, {
      manifest: join(ctx2.manifestsDir, "upload.manifest.json"),
      count: 6,
      skipped: 4,
    });
  } finally {
    await resumed.closeAll();
  }
  assert.deepEqual(present(), ["p 1.bin", "p 2.bin", "p 3.bin", "p 4.bin", "p 5.bin"]);
  for (const i of [4, 5]) {
    assert.deepEqual(
      await Deno.readFile(join(remoteOut, `p ${i}.bin`)),
      await Deno.readFile(items[i]!.file!),
    );
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(ctx2.manifestsDir, "upload.manifest.json")));
  assert.deepEqual(manifest.map((r: Record<string, unknown>) => [r.id, r.skipped ?? false, r.remote_path]), [
    ["id-0", true, `${dir.remote}/out/p 0.bin`],
    ["id-1", true, `${dir.remote}/out/p 1.bin`],
    ["id-2", true, `${dir.remote}/out/p 2.bin`],
    ["id-3", true, `${dir.remote}/out/p 3.bin`],
    ["id-4", false, `${dir.remote}/out/p 4.bin`],
    ["id-5", false, `${dir.remote}/out/p 5.bin`],
  ]);
  await assert.rejects(Deno.stat(join(ctx2.manifestsDir, "upload.manifest.jsonl")), Deno.errors.NotFound);
});
