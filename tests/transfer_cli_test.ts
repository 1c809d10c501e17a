// Archives, mail and REST through the real CLI: a flow zips files with an AES password (from a plainly named env
// key), mails the archive over STARTTLS + login (password literal in the resource config), and a plugin step
// calls a REST resource (bearer token from a plainly named env key) through af_connector_call. Then every output is grepped for each
// secret: stdout, stderr (JSON logs), every text column and the raw bytes of the state DB, the run log files and
// every other file the run left. None of these secrets is known to the masker by name: the drivers and steps
// register them.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { archivePyzipper } from "../engine/connectors/drivers/archive_pyzipper.ts";
import { openArchive, readTree } from "../engine/connectors/drivers/_archive_test_kit.ts";
import { writePluginLock } from "../plugins/lock/mod.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";
import { dumpStateText } from "../testdata/acceptance/kit.ts";
import { runCli, tempDir } from "./_helpers.ts";
import { startHttpServer } from "./_http_server.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

const ZIP_PW = "Zip-Literal-Pw-5150";
const SMTP_PW = "Smtp-Literal-Pw-2112";
const BEARER = "Bearer-Value-90125";
const SECRETS = [ZIP_PW, SMTP_PW, BEARER];

function flowText(dir: string, o: { smtpPort: number; smtpPass: string; ca: string; api: string }): string {
  return `flow:
  id: transfer
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  vault: {kind: archive, driver: pyzipper, config: {aes_strength: 256}}
  mailer:
    kind: mail
    driver: smtp
    config: {host: localhost, port: ${o.smtpPort}, starttls: true, username: mailer, password: "${o.smtpPass}",
             from_addr: etl@example.test}
    options: {ca_file: ${o.ca}, retry: {max_attempts: 2}, timeout: 10}
  api:
    kind: rest
    driver: httpx
    config: {base_url: "${o.api}/v1", bearer_token: "{{env.BEARER_VALUE}}"}
jobs:
  - id: send
    steps:
      - id: prep
        type: external.process
        inputs:
          cwd: "."
          command: [sh, -c, 'mkdir -p data/sub && printf "id,v\\n1,x\\n" > data/a.csv && echo hi > data/sub/b.txt']
      - id: lookup
        type: t_call
        inputs: {resource: api, method: get, args: {url: whoami, params: {page: 1}}}
        outputs: {echoed: "{{result.response.result.text}}"}
      - id: pack
        type: zip
        inputs: {items: [data], dest_path: out/report.zip, password: "{{env.ZIP_WORD}}", resource: vault}
      - id: mail
        type: mail_send
        inputs:
          resource: mailer
          to: [ops@example.test]
          bcc: audit@example.test
          subject: "report {{run_id}}"
          body: "<p>{{steps.pack.count}} files</p>"
          html: true
          attachments: ["{{steps.pack.output}}"]
`;
}

/** Every place a secret could land, as (where, text). */
async function everyOutput(
  dir: string,
  run: { stdout: string; stderr: string },
): Promise<[string, string][]> {
  const out: [string, string][] = [["stdout", run.stdout], ["stderr", run.stderr]];
  for (const line of dumpStateText(join(dir, "state.sqlite"))) out.push(["state row", line]);
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile && !/\.(zip|wasm)$/.test(e.name) && e.name !== "f.yaml") {
        out.push([relative(dir, p), new TextDecoder().decode(await Deno.readFile(p))]);
      }
    }
  };
  await walk(dir);
  return out;
}

function assertNoSecret(found: [string, string][]): void {
  for (const [where, text] of found) {
    for (const s of SECRETS) {
      assert.ok(!text.includes(s), `${s} leaked in ${where}: ${text.slice(0, 300)}`);
    }
  }
}

async function setUp(dir: string, smtp: { port: number; pass: string }, api: string) {
  const certs = await testCertificates();
  const plugin = await writeTestPlugin("t_call", dir);
  await writePluginLock({
    file: join(dir, "aetherflow.plugins.yaml"),
    plugins: [{ path: "t_call.wasm", sha256: plugin.sha256, grants: { resources: ["api"] } }],
  });
  const flow = join(dir, "f.yaml");
  await Deno.writeTextFile(
    flow,
    flowText(dir, { smtpPort: smtp.port, smtpPass: smtp.pass, ca: certs.caCertPath, api }),
  );
  return { flow, env: { BEARER_VALUE: BEARER, ZIP_WORD: ZIP_PW, AETHERFLOW_LOG_FORMAT: "json" } };
}

Deno.test("CLI: zip (AES) -> mail_send with the archive attached; REST via a plugin; no secret anywhere", async () => {
  await using dir = await tempDir();
  const certs = await testCertificates();
  await using sink = await startSmtpSink({
    mode: "starttls",
    tls: certs,
    auth: { user: "mailer", pass: SMTP_PW },
  });
  // The server echoes the Authorization header: the plugin's output then holds the token, and must be masked.
  await using api = startHttpServer((req) => new Response(`you are ${req.headers.get("authorization")}`));
  const { flow, env } = await setUp(dir.path, { port: sink.port, pass: SMTP_PW }, api.origin);
  const run = await runCli(["run", flow, "--run-id", "R1"], { env, cwd: dir.path });
  assert.equal(run.code, 0, run.stderr);

  assert.equal(api.requests[0]!.headers.get("authorization"), `Bearer ${BEARER}`);
  assert.equal(new URL(api.requests[0]!.url).pathname, "/v1/whoami");
  const [mail] = await sink.waitForMessages(1);
  assert.equal(mail!.secure, true);
  assert.deepEqual(mail!.to, ["ops@example.test", "audit@example.test"]);
  const parsed = await mail!.parsed();
  assert.equal(parsed.subject, "report R1");
  assert.equal(parsed.html, "<p>2 files</p>");
  assert.equal(parsed.headers.has("bcc"), false);
  const attachment = parsed.attachments[0]!;
  assert.equal(attachment.filename, "report.zip");
  // The attached archive decrypts with the zip password to the files the flow wrote.
  const received = join(dir.path, "received.zip");
  await Deno.writeFile(received, attachment.content);
  const { archive } = await openArchive(archivePyzipper);
  await archive.extract_zip!({ archive: received, dest_dir: join(dir.path, "check"), password: ZIP_PW });
  assert.deepEqual(await readTree(join(dir.path, "check")), {
    "data/a.csv": "id,v\n1,x\n",
    "data/sub/b.txt": "hi\n",
  });
  await Deno.remove(join(dir.path, "check"), { recursive: true });

  const found = await everyOutput(dir.path, run);
  assert.ok(found.some(([where]) => where.endsWith(".jsonl")), "the run log was read");
  assert.ok(found.some(([, text]) => text.includes("you are Bearer ***")), "the echoed token was masked");
  assertNoSecret(found);
});

Deno.test("CLI: a wrong SMTP password fails the mail step with a masked, named reason; resume re-sends only mail", async () => {
  await using dir = await tempDir();
  const certs = await testCertificates();
  await using sink = await startSmtpSink({
    mode: "starttls",
    tls: certs,
    auth: { user: "mailer", pass: "the-right-one" },
  });
  await using api = startHttpServer(() => new Response("ok"));
  const { flow, env } = await setUp(dir.path, { port: sink.port, pass: SMTP_PW }, api.origin);
  const run = await runCli(["run", flow, "--run-id", "R2"], { env, cwd: dir.path });
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /SMTP send failed after 2 attempt\(s\): SMTP login failed: 535 Invalid username or password/,
  );
  assert.equal(sink.messages.length, 0);
  assertNoSecret(await everyOutput(dir.path, run));

  // Fix the password in the flow file and resume: finished steps are not re-run (the API is not called again).
  await Deno.writeTextFile(flow, (await Deno.readTextFile(flow)).replace(SMTP_PW, "the-right-one"));
  const again = await runCli(["run", flow, "--run-id", "R2"], { env, cwd: dir.path });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(api.requests.length, 1);
  assert.equal((await sink.waitForMessages(1)).length, 1);
});
