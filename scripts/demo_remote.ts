// `deno task demo --remote` (root only): the remote demos of examples/multiflows-remote against servers started
// on 127.0.0.1 for the occasion (the test harness's OpenSSH sftp, Samba and PostgreSQL, an SMTP sink in this
// process): remote uc1 with data, remote uc1 again with nothing left, remote uc2 with PostgreSQL standing in for
// Exasol. Everything is stopped at the end; the outputs (job dirs, the share's files, the mails as .eml) stay
// in the demo folder. `[--dir <empty dir>] [--suffix <run id suffix>]` as for the local demos.
import { join } from "node:path";
import { bold, type DemoRun, dim, printOutputs, red, runDemos } from "./_demo_kit.ts";
import { startServices, stopServices } from "./services/mod.ts";
import { postgresDatabase, sftpDir, smbDir } from "../tests/_services.ts";
import { startSmtpSink } from "../tests/_smtp_sink.ts";
import {
  REMOTE_UC1,
  REMOTE_UC2,
  remoteDemoEnv,
  seedQipQc,
  seedUc1Zips,
  uploadUc1Bundle,
  uploadUc2Bundle,
} from "../tests/_demo_remote_kit.ts";

export async function mainRemote(args: string[]): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error(
      "deno task demo --remote starts sshd, Samba and PostgreSQL on 127.0.0.1 and needs root " +
        "(sudo -E deno task demo --remote); `deno task demo` runs the local demos without servers.",
    );
    return 2;
  }
  const dirAt = args.indexOf("--dir");
  const root = dirAt >= 0 ? args[dirAt + 1]! : await Deno.makeTempDir({ prefix: "aetherflow-demo-remote-" });
  const suffixAt = args.indexOf("--suffix");
  const suffix = suffixAt >= 0 ? args[suffixAt + 1]! : crypto.randomUUID().slice(0, 6);
  await Deno.mkdir(join(root, "logs"), { recursive: true });

  console.log(
    bold("▶ starting the servers (sshd, Samba, PostgreSQL on 127.0.0.1; first time: Debian packages)"),
  );
  const services = await startServices({ persistent: false, log: (l) => console.log(dim(`    ${l}`)) });
  try {
    const { sftp, smb, postgres } = services;
    if (!sftp || !smb || !postgres) {
      const why = Object.entries(services.missing).map(([n, m]) => `${n}: ${m.reason}`).join("; ");
      console.error(red(`servers missing: ${why}`));
      return 1;
    }
    const sftpRoot = await sftpDir("password", sftp);
    const share = await smbDir({}, smb);
    const db = await postgresDatabase(postgres);
    const mailDir = join(root, "mail");
    await Deno.mkdir(mailDir, { recursive: true });
    const sink = await startSmtpSink({ saveDir: mailDir });
    try {
      await uploadUc1Bundle(share);
      await uploadUc2Bundle(share);
      await seedUc1Zips(sftpRoot);
      await seedQipQc(db.url);
      for (const uc of ["uc1", "uc2"]) {
        await Deno.mkdir(join(root, uc), { recursive: true });
        await Deno.copyFile(
          join(uc === "uc1" ? REMOTE_UC1 : REMOTE_UC2, "manifest_smb.yaml"),
          join(root, uc, "manifest_smb.yaml"),
        );
      }
      const env: Record<string, string> = {
        ...remoteDemoEnv({ root, smb, share, smtp: sink, sftp: { info: sftp, dir: sftpRoot } }),
        AETHERFLOW_STATE_SYNCHRONOUS: "NORMAL",
        NO_COLOR: "1",
        PG_URL: db.url,
      };
      const run = (uc: string, label: string, runId: string, flow: string): DemoRun => ({
        label,
        args: ["run", "--bundle-manifest", "manifest_smb.yaml", "--run-id", runId],
        cwd: join(root, uc),
        env,
        runId,
        state: join(root, "state", `${flow}.sqlite`),
        expectExit: 0,
        command: `aetherflow run --bundle-manifest ${join(root, uc, "manifest_smb.yaml")} --run-id ${runId}`,
      });
      const runs = [
        run("uc1", "remote uc1 (2 zips on SFTP)", `uc1-${suffix}`, "usecase1_sftp_to_smb_email"),
        run("uc1", "remote uc1 (nothing left)", `uc1-nodata-${suffix}`, "usecase1_sftp_to_smb_email"),
        run("uc2", "remote uc2 (PostgreSQL)", `uc2-${suffix}`, "usecase2_exasol_to_excel"),
      ];
      const ran = await runDemos(runs, join(root, "logs"));
      // The share's files are copied out: the servers' scratch space goes when they stop.
      const keep = join(root, "smb_share");
      for (const sub of ["upload", "reports"]) {
        await Deno.mkdir(join(keep, sub), { recursive: true });
        try {
          for await (const e of Deno.readDir(join(share.local, sub))) {
            await Deno.copyFile(join(share.local, sub, e.name), join(keep, sub, e.name));
          }
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        }
      }
      const art = (flow: string, job: string, id: string) => join(root, "work", flow, job, id, "artifacts");
      const [uc1, , uc2] = runs as [DemoRun, DemoRun, DemoRun];
      const outputs = await printOutputs([
        [
          "uc1: payload zip",
          join(art("usecase1_sftp_to_smb_email", "next_steps", uc1.runId), `out/payload_${uc1.runId}.zip`),
        ],
        ["uc1: copied from the share", join(keep, "upload", `payload_${uc1.runId}.zip`)],
        [
          "uc2: small report",
          join(
            art("usecase2_exasol_to_excel", "build_report", uc2.runId),
            `out/report_${uc2.runId}_small.xlsx`,
          ),
        ],
        [
          "uc2: large report",
          join(
            art("usecase2_exasol_to_excel", "build_report", uc2.runId),
            `out/report_${uc2.runId}_large.xlsx`,
          ),
        ],
        ["uc2: copied from the share", join(keep, "reports", `report_${uc2.runId}_large.xlsx`)],
      ]);
      console.log(`  ${"mails received".padEnd(26)} ${sink.messages.length} (.eml files in ${mailDir})`);
      console.log(`  ${"full logs".padEnd(26)} ${join(root, "logs")}`);
      console.log(
        dim(
          `\n  The servers stop now; the SFTP, SMB and database data go with them. Remove the rest: rm -rf ${root}\n`,
        ),
      );
      const ok = ran && outputs && sink.messages.length === 4;
      if (!ok) console.error(red("some remote demo did not end as expected; see the logs"));
      return ok ? 0 : 1;
    } finally {
      await sink.close();
      await db[Symbol.asyncDispose]();
      await sftpRoot[Symbol.asyncDispose]();
      await share[Symbol.asyncDispose]();
    }
  } finally {
    await stopServices(services);
  }
}

if (import.meta.main) Deno.exit(await mainRemote(Deno.args));
