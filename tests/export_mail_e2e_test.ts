// End to end through the CLI: PostgreSQL -> db_extract_stream (CSV) -> zip (AES-256) -> mail_send with the
// archive attached, over STARTTLS + login. The run is SIGKILLed after the archive was made (while a later step
// waits), then resumed with the same --run-id: the extract and the zip are not run again, exactly one mail
// arrives, its attachment decrypts to the rows the database holds, and no password (database, zip, SMTP) appears
// in any output, the state database or the run directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { archivePyzipper } from "../engine/connectors/drivers/archive_pyzipper.ts";
import { aesBits, openArchive } from "../engine/connectors/drivers/_archive_test_kit.ts";
import { MAIN, runCli, stateRows, tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

const pg = postgresService();
const ROWS = 20_000;
const ZIP_PASS = "E2e-Zip-Pass-6174";
const SMTP_PASS = "E2e-Smtp-Pass-1729";

function flowYaml(dir: string, smtpPort: number, ca: string): string {
  return `flow:
  id: export_mail
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  warehouse: {kind: db, driver: postgres, config: {url: "{{env.WAREHOUSE_URL}}"}}
  vault: {kind: archive, driver: pyzipper, config: {aes_strength: 256}}
  mailer:
    kind: mail
    driver: smtp
    config: {host: localhost, port: ${smtpPort}, starttls: true, username: reports, password: "{{env.SMTP_PASS}}",
             from_addr: reports@example.test}
    options: {ca_file: ${ca}}
jobs:
  - id: export
    steps:
      - id: dump
        type: db_extract_stream
        inputs:
          resource: warehouse
          sql: "select id, customer, amount from orders order by id"
          output: out/orders.csv
          format: csv
      - id: pack
        type: zip
        inputs:
          resource: vault
          items: ["{{steps.dump.artifact_path}}"]
          src_dir: out
          dest_path: "out/orders_{{run_id}}.zip"
          password: "{{env.ZIP_PASS}}"
      - id: approve
        type: external.process
        # A gate the test opens; it also gives up when the test's temp dir is gone (the first run's orphan).
        inputs:
          command: [sh, -c, 'touch "$GATE_DIR/waiting"; while [ ! -f "$APPROVED" ] && [ -d "$GATE_DIR" ]; do sleep 0.05; done; [ -f "$APPROVED" ]']
      - id: mail
        type: mail_send
        inputs:
          resource: mailer
          to: [finance@example.test]
          subject: "orders {{run_id}}: {{steps.dump.row_count}} rows"
          body: "sha256 {{steps.dump.sha256}}"
          attachments: ["{{steps.pack.output}}"]
`;
}

const _exists = (path: string) => Deno.stat(path).then(() => true, () => false);

function _steps(state: string): Record<string, { status: string; updated: unknown }> {
  const rows = stateRows(state, "SELECT step_id, status, updated_at FROM step_runs WHERE run_id = 'R1'");
  return Object.fromEntries(
    rows.map((r) => [String(r.step_id), { status: String(r.status), updated: r.updated_at }]),
  );
}

Deno.test({
  name:
    "e2e: PostgreSQL -> db_extract_stream -> zip (AES) -> mail_send, killed mid-run, resumed without repeats",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const { default: postgres } = await import("postgres");
  const admin = postgres(db.url, { onnotice: () => {}, max: 1 });
  try {
    await admin.unsafe(`create table orders (id int primary key, customer text, amount numeric(12,2));
      insert into orders select g, 'customer ' || g, (g % 1000) + 0.25 from generate_series(1, ${ROWS}) g`);
  } finally {
    await admin.end();
  }
  const certs = await testCertificates();
  await using sink = await startSmtpSink({
    mode: "starttls",
    tls: certs,
    auth: { user: "reports", pass: SMTP_PASS },
  });
  await using dir = await tempDir();
  const flow = join(dir.path, "flow.yaml");
  await Deno.writeTextFile(flow, flowYaml(dir.path, sink.port, certs.caCertPath));
  const approved = join(dir.path, "approved");
  // Plainly named keys: the masker learns these values only because the drivers and steps declare them.
  const env = { WAREHOUSE_URL: db.url, ZIP_PASS, SMTP_PASS, APPROVED: approved, GATE_DIR: dir.path };
  const state = join(dir.path, "state.sqlite");

  // First run: SIGKILLed once the archive is recorded, while `approve` waits.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R1"],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
      ...env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 120_000;
  let seen: ReturnType<typeof _steps> = {};
  while (Date.now() < deadline && !exited) {
    try {
      seen = _steps(state);
    } catch {
      seen = {}; // not created yet, or its schema not yet written
    }
    if (seen.pack?.status === "SUCCESS" && await _exists(join(dir.path, "waiting"))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!exited) child.kill("SIGKILL");
  // Open the gate before reading the first run's output: the orphaned gate process holds its pipes.
  await Deno.writeTextFile(approved, "");
  const first = await child.output();
  assert.equal(seen.pack?.status, "SUCCESS", JSON.stringify(seen) + new TextDecoder().decode(first.stderr));
  assert.equal(sink.messages.length, 0);
  const zipPath = join(dir.path, "ws/export_mail/export/R1/artifacts/out/orders_R1.zip");
  const zipMtime = (await Deno.stat(zipPath)).mtime?.getTime();

  // Resume: dump and pack are restored from state (the table is gone, so a re-run extract would fail), approve
  // and mail run.
  const dropper = postgres(db.url, { onnotice: () => {}, max: 1 });
  try {
    await dropper.unsafe("drop table orders");
  } finally {
    await dropper.end();
  }
  const resumed = await runCli(["run", flow, "--run-id", "R1"], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = _steps(state);
  assert.deepEqual(
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.status])),
    { dump: "SUCCESS", pack: "SUCCESS", approve: "SUCCESS", mail: "SUCCESS" },
  );
  assert.equal(after.dump!.updated, seen.dump!.updated, "dump not re-run");
  assert.equal(after.pack!.updated, seen.pack!.updated, "pack not re-run");
  assert.equal((await Deno.stat(zipPath)).mtime?.getTime(), zipMtime);
  assert.match(resumed.stderr, /Step skip \(resume\) step_id=dump prev=SUCCESS/);

  const [mail] = await sink.waitForMessages(1);
  assert.equal(sink.messages.length, 1);
  assert.equal(mail!.secure, true);
  const parsed = await mail!.parsed();
  assert.equal(parsed.subject, `orders R1: ${ROWS} rows`);
  const attachment = parsed.attachments[0]!;
  assert.equal(attachment.filename, "orders_R1.zip");
  assert.deepEqual(new Uint8Array(attachment.content), await Deno.readFile(zipPath));
  // The attachment decrypts with the zip password to the CSV of every row.
  const received = join(dir.path, "received.zip");
  await Deno.writeFile(received, attachment.content);
  assert.equal(aesBits(new Uint8Array(attachment.content)), 256, "WinZip AES-256, not ZipCrypto");
  // Without the password nothing is extracted.
  await assert.rejects(
    (await openArchive(archivePyzipper)).archive.extract_zip!({
      archive: received,
      dest_dir: join(dir.path, "np"),
    }),
    /is encrypted: set inputs\.password/,
  );
  const { archive } = await openArchive(archivePyzipper);
  const check = join(dir.path, "check");
  await archive.extract_zip!({ archive: received, dest_dir: check, password: ZIP_PASS });
  const csv = (await Deno.readTextFile(join(check, "orders.csv"))).trimEnd().split("\n");
  assert.equal(csv.length, ROWS + 1);
  assert.equal(csv[0], "id,customer,amount");
  assert.equal(csv[1], "1,customer 1,1.25");
  assert.equal(csv[ROWS], `${ROWS},customer ${ROWS},0.25`);
  await Deno.remove(check, { recursive: true });

  const dbPassword = decodeURIComponent(new URL(db.url).password);
  const texts = [
    new TextDecoder().decode(first.stderr),
    new TextDecoder().decode(first.stdout),
    resumed.stdout,
    resumed.stderr,
    new TextDecoder().decode(await Deno.readFile(state)),
  ];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile && !p.endsWith(".zip") && p !== flow) {
        texts.push(await Deno.readTextFile(p).catch(() => ""));
      }
    }
  };
  await walk(dir.path);
  for (const text of texts) {
    for (const secret of [dbPassword, ZIP_PASS, SMTP_PASS]) assert.ok(!text.includes(secret), secret);
  }
});
