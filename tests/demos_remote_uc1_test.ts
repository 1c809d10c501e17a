// examples/multiflows-remote/uc1 against the harness's servers (docs/testing.md): the bundle is synced from the
// Samba share, the zips come from OpenSSH sftp, mail goes to an in-process SMTP sink. The data case, then a
// second run with nothing left (UNCHANGED bundle, strict re-read; the no-data path), the failure table (SFTP
// down, SMTP down, SMB down at upload), the stale-bundle cases, and a run killed mid-flow resumed.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { MAIN, runCli, tempDir } from "./_helpers.ts";
import {
  closedPort,
  REMOTE_UC1,
  remoteDemoEnv,
  seedUc1Zips,
  uploadUc1Bundle,
  zipBytes,
} from "./_demo_remote_kit.ts";
import { sftpDir, sftpService, smbDir, smbService, writeServedFile } from "./_services.ts";
import { startSmtpSink } from "./_smtp_sink.ts";

const sftp = sftpService();
const smb = smbService();

async function zipNames(bytes: Uint8Array): Promise<string[]> {
  const zip = await import("@zip.js/zip.js");
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  const names = (await reader.getEntries()).filter((e) => !e.directory).map((e) => e.filename);
  await reader.close();
  return names;
}

function jobStatuses(state: string, runId: string): Record<string, string> {
  const db = new DatabaseSync(state, { readOnly: true });
  try {
    const rows = db.prepare("SELECT job_id, status FROM job_runs WHERE run_id = ?").all(runId);
    return Object.fromEntries(rows.map((r) => [String(r.job_id), String(r.status)]));
  } finally {
    db.close();
  }
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...await listTree(join(dir, e.name), `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

/** Servers seeded as in docs: the bundle on the share, the zips on SFTP; env for the CLI. */
async function setup() {
  const sftpInfo = sftp.get();
  const smbInfo = smb.get();
  const sftpRoot = await sftpDir("password");
  const share = await smbDir();
  const local = await tempDir("af-remote-uc1-");
  const sink = await startSmtpSink();
  await uploadUc1Bundle(share);
  await seedUc1Zips(sftpRoot);
  // The manifest stays on the machine that runs it; the bundle it names is on the share.
  await Deno.copyFile(join(REMOTE_UC1, "manifest_smb.yaml"), join(local.path, "manifest_smb.yaml"));
  const env = remoteDemoEnv({
    root: local.path,
    smb: smbInfo,
    share,
    smtp: sink,
    sftp: { info: sftpInfo, dir: sftpRoot },
  });
  const state = join(local.path, "state/usecase1_sftp_to_smb_email.sqlite");
  const run = (runId: string, extra: Record<string, string> = {}, flags: string[] = []) =>
    runCli(["run", "--bundle-manifest", "manifest_smb.yaml", "--run-id", runId, ...flags], {
      cwd: local.path,
      env: { ...env, ...extra },
    });
  return {
    sftpRoot,
    share,
    local,
    sink,
    env,
    state,
    run,
    art: (job: string, runId: string) =>
      join(local.path, "work/usecase1_sftp_to_smb_email", job, runId, "artifacts"),
    async [Symbol.asyncDispose]() {
      await sink.close();
      await sftpRoot[Symbol.asyncDispose]();
      await share[Symbol.asyncDispose]();
      await local[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: "remote uc1: data case through sshd, Samba and SMTP, then a no-data run on the UNCHANGED bundle",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  await using fx = await setup();
  const r = await fx.run("uc1run");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jobStatuses(fx.state, "uc1run"), {
    ingest_and_publish: "SUCCESS",
    next_steps: "SUCCESS",
    mail_if_not: "SKIPPED",
  });
  assert.ok(r.stderr.includes('status_counts={"SUCCESS":2,"SKIPPED":1}'), r.stderr);

  // SFTP: the zips are gone, the rest stays (the empty sub/ too).
  assert.deepEqual(await listTree(join(fx.sftpRoot.local, "test")), ["ignore.txt"]);
  assert.ok((await Deno.stat(join(fx.sftpRoot.local, "test/sub"))).isDirectory);
  assert.deepEqual(await listTree(fx.art("ingest_and_publish", "uc1run")), [
    "inbox/a.zip",
    "inbox/sub/b.zip",
  ]);
  const next = fx.art("next_steps", "uc1run");
  assert.deepEqual(await listTree(next), [
    "out/payload_uc1run.zip",
    "transformed/data.csv",
    "transformed/sub/b.csv",
    "transformed/sub/notes/readme.txt",
    "unzipped/data.csv",
    "unzipped/sub/b.csv",
    "unzipped/sub/notes/readme.txt",
  ]);
  assert.equal(await Deno.readTextFile(join(next, "transformed/data.csv")), "ID,NAME\n1,x\n2,y\n");
  assert.equal(await Deno.readTextFile(join(next, "transformed/sub/b.csv")), "COL_A,COL_B\n3,z\n");
  assert.equal(await Deno.readTextFile(join(next, "transformed/sub/notes/readme.txt")), "hello\n");
  const payload = await Deno.readFile(join(next, "out/payload_uc1run.zip"));
  assert.deepEqual(await zipNames(payload), [
    "transformed/data.csv",
    "transformed/sub/b.csv",
    "transformed/sub/notes/readme.txt",
  ]);
  assert.deepEqual(await Deno.readFile(join(fx.share.local, "upload/payload_uc1run.zip")), payload);

  // Two mails, in order, plain text, with the file list as JSON and host paths.
  assert.equal(fx.sink.messages.length, 2);
  const [m1, m2] = await Promise.all(fx.sink.messages.map((m) => m.parsed()));
  assert.deepEqual(fx.sink.messages.map((m) => [m.from, m.to]), [
    ["no-reply@test.com", ["ops@example.test"]],
    ["no-reply@test.com", ["ops@example.test"]],
  ]);
  assert.equal(m1!.subject, "Aetherflow UC1 in processing uc1run");
  const inbox = join(fx.art("ingest_and_publish", "uc1run"), "inbox");
  assert.ok(m1!.text!.startsWith('Downloaded [{"rel_path":"a.zip","path":'), m1!.text);
  assert.ok(
    m1!.text!.includes(`"rel_path":"sub/b.zip"`) && m1!.text!.includes(`to local ${inbox}.`),
    m1!.text,
  );
  assert.equal(m2!.subject, "Aetherflow UC1 completed uc1run");
  assert.ok(m2!.text!.startsWith(`Uploaded ["${join(next, "out/payload_uc1run.zip")}"] to SMB /outbox.\n[{`));
  assert.ok(
    !r.stderr.includes(fx.env.SFTP_PASS!) && !r.stderr.includes(fx.env.SMB_PASS!),
    "passwords masked",
  );

  // Second run: the bundle is UNCHANGED, SFTP has no zips left.
  const sync = await runCli(["bundle", "sync", "--bundle-manifest", "manifest_smb.yaml", "--json"], {
    cwd: fx.local.path,
    env: fx.env,
  });
  assert.equal(sync.code, 0, sync.stderr);
  const synced = JSON.parse(sync.stdout);
  assert.deepEqual([synced.changed, synced.fetched_files], [false, []]);
  const r2 = await fx.run("uc1nodata");
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(jobStatuses(fx.state, "uc1nodata"), {
    ingest_and_publish: "SKIPPED",
    next_steps: "BLOCKED",
    mail_if_not: "SUCCESS",
  });
  assert.ok(r2.stderr.includes('Job blocked job_id=next_steps depends_on=["ingest_and_publish"]'), r2.stderr);
  assert.equal(fx.sink.messages.length, 3);
  const m3 = await fx.sink.messages[2]!.parsed();
  assert.equal(m3.subject, "Aetherflow UC1 nothing2do uc1nodata");
  assert.equal(m3.text?.trim(), "0 == 0. Nothing to SMB /outbox.");
});

Deno.test({
  name: "remote uc1 failures: SFTP down, SMTP down after the delete, SMB down at upload (exit 1, state kept)",
  ignore: sftp.ignore || smb.ignore,
}, async (t) => {
  await using fx = await setup();
  await t.step(
    "SFTP down: list fails, next_steps BLOCKED, mail_if_not FAILED on the missing count",
    async () => {
      const r = await fx.run("f_sftp", { SFTP_PORT: String(closedPort()) });
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(jobStatuses(fx.state, "f_sftp"), {
        ingest_and_publish: "FAILED",
        next_steps: "BLOCKED",
        mail_if_not: "FAILED",
      });
      assert.match(r.stderr, /SFTPListFilesCustom list failed: \S+\/test true /);
      assert.match(
        r.stderr,
        /Invalid job\.when for job_id=mail_if_not: jobs\.ingest_and_publish\.outputs has no key 'count'/,
      );
      assert.equal((await listTree(join(fx.sftpRoot.local, "test"))).length, 3, "nothing deleted");
    },
  );
  await t.step(
    "SMB down at upload: next_steps FAILED after the zips were deleted; resumed once SMB is back",
    async () => {
      // The bundle is already synced; --allow-stale-bundle lets the run start while the share is unreachable.
      const r = await fx.run("f_smb", { SMB_PORT: String(closedPort()) }, ["--allow-stale-bundle"]);
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(jobStatuses(fx.state, "f_smb"), {
        ingest_and_publish: "SUCCESS",
        next_steps: "FAILED",
        mail_if_not: "SKIPPED",
      });
      assert.deepEqual(await listTree(join(fx.sftpRoot.local, "test")), ["ignore.txt"]);
      // Same run id with SMB back: ingest is not run again (its outputs restored), next_steps finishes.
      const again = await fx.run("f_smb");
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stderr.includes("Step skip (resume) step_id=list_remote prev=SUCCESS"));
      assert.ok((await Deno.stat(join(fx.share.local, "upload/payload_f_smb.zip"))).isFile);
    },
  );
  await t.step(
    "SMTP down: ingest's email fails after the delete; mail_if_not SKIPPED (count promoted)",
    async () => {
      await writeServedFile(fx.sftpRoot, "test/c.zip", await zipBytes({ "c.csv": "k\n1\n" }));
      const r = await fx.run("f_smtp", { SMTP_PORT: String(closedPort()) });
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(jobStatuses(fx.state, "f_smtp"), {
        ingest_and_publish: "FAILED",
        next_steps: "BLOCKED",
        mail_if_not: "SKIPPED",
      });
      assert.match(r.stderr, /SMTP send failed after 1 attempt\(s\)/);
      assert.deepEqual(await listTree(join(fx.sftpRoot.local, "test")), ["ignore.txt"]);
    },
  );
});

Deno.test({
  name: "remote uc1 bundle source: unreachable -> exit 1; --allow-stale-bundle runs the active bundle",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  await using fx = await setup();
  // No zips: the no-data path never needs SMB, so only the bundle source is affected by SMB being down.
  for (const f of ["a.zip", "sub/b.zip"]) await Deno.remove(join(fx.sftpRoot.local, "test", f));
  const down = { SMB_PORT: String(closedPort()) };
  const stale = /Bundle sync failed, using stale active bundle_id=uc1: /;

  const noActive = await fx.run("s0", down, ["--allow-stale-bundle"]);
  assert.equal(noActive.code, 1, "nothing synced yet: nothing to fall back to");
  assert.doesNotMatch(noActive.stderr, stale);

  assert.equal((await fx.run("s1")).code, 0);
  const without = await fx.run("s2", down);
  assert.equal(without.code, 1, without.stderr);
  assert.deepEqual(jobStatuses(fx.state, "s2"), {}, "the flow did not start");
  const withFlag = await fx.run("s3", down, ["--allow-stale-bundle"]);
  assert.equal(withFlag.code, 0, withFlag.stderr);
  assert.match(withFlag.stderr, stale);
  assert.equal(jobStatuses(fx.state, "s3").mail_if_not, "SUCCESS");

  // The entry flow removed from the source: the new version is refused; the flag keeps the active one.
  await Deno.remove(join(fx.share.local, "uc1/flows/main.yaml"));
  const gone = await fx.run("s4");
  assert.equal(gone.code, 1, gone.stderr);
  assert.match(gone.stderr, /flows\/main\.yaml/);
  assert.deepEqual(jobStatuses(fx.state, "s4"), {});
  const kept = await fx.run("s5", {}, ["--allow-stale-bundle"]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stderr, stale);
  assert.equal(jobStatuses(fx.state, "s5").mail_if_not, "SUCCESS");
});

Deno.test({
  name: "remote uc1: a run SIGKILLed mid-flow resumes with the same run id and delivers once",
  ignore: sftp.ignore || smb.ignore,
}, async () => {
  await using fx = await setup();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      MAIN,
      "run",
      "--bundle-manifest",
      "manifest_smb.yaml",
      "--run-id",
      "k1",
    ],
    cwd: fx.local.path,
    env: { ...fx.env, NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Kill right after the first mail (the zips are downloaded and deleted; next_steps has not finished).
  await fx.sink.waitForMessages(1, 120_000);
  child.kill("SIGKILL");
  await child.status;
  await child.stderr.cancel();
  const r = await fx.run("k1");
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    r.stderr.includes("Step skip (resume) step_id=list_remote prev=SUCCESS"),
    "a resume, not a rerun",
  );
  assert.deepEqual(jobStatuses(fx.state, "k1"), {
    ingest_and_publish: "SUCCESS",
    next_steps: "SUCCESS",
    mail_if_not: "SKIPPED",
  });
  assert.ok((await Deno.stat(join(fx.share.local, "upload/payload_k1.zip"))).isFile);
  const subjects = await Promise.all(fx.sink.messages.map(async (m) => (await m.parsed()).subject));
  assert.equal(subjects.filter((s) => s === "Aetherflow UC1 completed k1").length, 1);
});
