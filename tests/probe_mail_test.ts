// `doctor --connect` on mail:smtp resources against a real SMTP sink: the driver's probe connects, upgrades with
// STARTTLS (the CA pinned with ca_file), logs in and quits without sending; a wrong password and a server that
// offers no STARTTLS are FAILs naming the reason, and no password reaches the output.
import assert from "node:assert/strict";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

const JOBS = "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n";
const PASS = "Probe-Smtp-Pass-4711";
const BAD = "wrong-smtp-pass-0815";

Deno.test("doctor --connect probes mail:smtp: STARTTLS and login OK without a message; wrong password and no STARTTLS FAIL", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "starttls", tls: certs, auth: { user: "etl", pass: PASS } });
  await using plain = await startSmtpSink({ mode: "plain" });
  await using dir = await tempDir();
  const mailer = (name: string, port: number, password: string) =>
    `  ${name}: {kind: mail, driver: smtp, config: {host: localhost, port: ${port}, starttls: true, ` +
    `username: etl, password: "{{env.${password}}}", from_addr: etl@example.test}, options: {ca_file: ${certs.caCertPath}, timeout: 20}}`;
  const flow = await writeDemoFlow(dir.path, JOBS, {
    resources: [
      mailer("relay", sink.port, "SMTP_PASS"),
      mailer("relay_bad", sink.port, "SMTP_BAD_PASS"),
      mailer("relay_plain", plain.port, "SMTP_PASS"),
    ].join("\n"),
  });
  const env = { SMTP_PASS: PASS, SMTP_BAD_PASS: BAD };

  const text = await runCli(["doctor", flow, "--connect", "--timeout", "30"], { env });
  assert.equal(text.code, 1, text.stdout + text.stderr);
  assert.match(
    text.stdout,
    new RegExp(
      `^ {2}OK +relay +\\(mail/smtp\\) \\d+ ms - SMTP localhost:${sink.port} ready \\(STARTTLS, login ok\\)$`,
      "m",
    ),
  );

  const json = await runCli(["doctor", flow, "--connect", "--timeout", "30", "--json"], { env });
  assert.equal(json.code, 1, json.stdout + json.stderr);
  const doc = JSON.parse(json.stdout);
  const by = Object.fromEntries(
    doc.connect.map((c: { resource: string; status: string; detail: string }) => [c.resource, c]),
  );
  assert.equal(by.relay.status, "OK", JSON.stringify(by.relay));
  assert.equal(by.relay_bad.status, "FAIL");
  assert.match(by.relay_bad.detail, /SMTP login failed: .*535/, by.relay_bad.detail);
  assert.equal(by.relay_plain.status, "FAIL");
  assert.match(by.relay_plain.detail, /STARTTLS/, by.relay_plain.detail);

  // A probe is not a send: nothing arrived, but the sink saw the logins.
  assert.equal(sink.messages.length, 0);
  assert.equal(plain.messages.length, 0);
  for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
    assert.ok(!out.includes(PASS) && !out.includes(BAD), out);
  }
});
