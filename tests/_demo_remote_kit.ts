// Fixtures of the remote demos (examples/multiflows-remote), shared by their e2e tests and
// `deno task demo --remote`: the SFTP zips, the bundle trees on the share, the QIP/QC tables.
import { join } from "node:path";
import { ROOT } from "./_helpers.ts";
import { type RemoteDir, type SftpInfo, type SmbInfo, writeServedFile } from "./_services.ts";

export const REMOTE_UC1 = join(ROOT, "examples/multiflows-remote/uc1");
export const REMOTE_UC2 = join(ROOT, "examples/multiflows-remote/uc2");

type ServedDir = RemoteDir & { uid: number; gid: number };

/** A deflated zip of text files. */
export async function zipBytes(files: Record<string, string>): Promise<Uint8Array> {
  const zip = await import("@zip.js/zip.js");
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter());
  for (const [name, text] of Object.entries(files)) await writer.add(name, new zip.TextReader(text));
  return await writer.close();
}

/** `test/a.zip`, `test/sub/b.zip`, `test/ignore.txt` in an SFTP directory (remote uc1's data case). */
export async function seedUc1Zips(dir: ServedDir): Promise<void> {
  await writeServedFile(dir, "test/a.zip", await zipBytes({ "data.csv": "id,name\n1,x\n2,y\n" }));
  await writeServedFile(
    dir,
    "test/sub/b.zip",
    await zipBytes({ "b.csv": "col_a,col_b\r\n3,z\r\n", "notes/readme.txt": "hello\n" }),
  );
  await writeServedFile(dir, "test/ignore.txt", "not a zip\n");
}

/** The remote uc1 bundle (flows, profiles, plugins, README) under `uc1/` of a share directory. */
export async function uploadUc1Bundle(share: ServedDir): Promise<void> {
  for (const rel of ["flows/main.yaml", "profiles.yaml", "plugins/demo_remote_steps.wasm", "README.md"]) {
    await writeServedFile(share, `uc1/${rel}`, await Deno.readFile(join(REMOTE_UC1, rel)));
  }
}

/**
 * The remote uc2 bundle under `uc2/` of a share directory, as its acceptance copy: `exasol_main` on
 * `db:postgres` with `url: {{env.PG_URL}}` (the SQL is unchanged).
 */
export async function uploadUc2Bundle(share: ServedDir): Promise<void> {
  const flow = (await Deno.readTextFile(join(REMOTE_UC2, "flows/main.yaml"))).replace(
    "driver: exasol",
    "driver: postgres",
  );
  if (!flow.includes("driver: postgres")) {
    throw new Error("remote uc2 flow: no db:exasol resource to replace");
  }
  await writeServedFile(share, "uc2/flows/main.yaml", flow);
  const profiles = (await Deno.readTextFile(join(REMOTE_UC2, "profiles.yaml"))).replace(
    /exasol_main:\n {2}config:\n( {4}.*\n)+/,
    'exasol_main:\n  config:\n    url: "{{env.PG_URL}}"\n',
  );
  await writeServedFile(share, "uc2/profiles.yaml", profiles);
  for (
    const rel of [
      "plugins/demo_remote_steps.wasm",
      "templates/template.xlsx",
      "templates/template_both_modes.xlsx",
    ]
  ) {
    await writeServedFile(share, `uc2/${rel}`, await Deno.readFile(join(REMOTE_UC2, rel)));
  }
}

/** QIP and QC, 12 rows each (`limit 10` takes 1–10). Unquoted QIP/QC in the SQL fold to qip/qc. */
export async function seedQipQc(url: string): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    await sql.unsafe(
      `CREATE TABLE qip ("ID" int, "Name" text, "Value" double precision, "Timestamp" timestamp);
      CREATE TABLE qc ("Batch" text, "Check_Type" text, "Result" text, "Inspector" text, "Date" date);`,
    );
    for (let i = 1; i <= 12; i++) {
      const d = String(i).padStart(2, "0");
      await sql`INSERT INTO qip VALUES (${i}, ${`item${i}`}, ${i * 1.5}, ${`2024-01-${d} 08:30:00`})`;
      const result = i % 3 === 0 ? "FAIL" : "PASS";
      await sql`INSERT INTO qc VALUES (${`B${String(i).padStart(3, "0")}`}, 'visual', ${result}, ${`insp${
        i % 4
      }`},
        ${`2024-02-${d}`})`;
    }
  } finally {
    await sql.end();
  }
}

/** A TCP port nothing listens on (bound, then released). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The environment of the remote demos' README for servers on loopback (SFTP settings only when given). */
export function remoteDemoEnv(o: {
  root: string;
  smb: SmbInfo;
  share: RemoteDir & { share: string };
  smtp: { host: string; port: number };
  sftp?: { info: SftpInfo; dir: RemoteDir };
}): Record<string, string> {
  return {
    TMPDIR: o.root,
    AETHERFLOW_WORK_ROOT: join(o.root, "work"),
    ...(o.sftp
      ? {
        SFTP_HOST: o.sftp.info.host,
        SFTP_PORT: String(o.sftp.info.port),
        SFTP_USER: o.sftp.info.passwordUser.user,
        SFTP_PASS: o.sftp.info.passwordUser.password,
        SFTP_HOST_KEY: o.sftp.info.hostKeyFingerprint,
        SFTP_DIR: `${o.sftp.dir.remote}/test`,
      }
      : {}),
    SMB_HOST: o.smb.host,
    SMB_PORT: String(o.smb.port),
    SMB_USER: o.smb.user,
    SMB_PASS: o.smb.password,
    SMB_ROOT: `${o.share.share}:/${o.share.remote}`,
    SMTP_HOST: o.smtp.host,
    SMTP_PORT: String(o.smtp.port),
    MAIL_TO: "ops@example.test",
  };
}
