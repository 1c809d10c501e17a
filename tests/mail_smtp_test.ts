// mail:smtp against the in-process SMTP sink (npm smtp-server): header and envelope rules, plain, STARTTLS and
// implicit TLS, CA pinning and verification, wrong password, unreachable and silent servers, a server dropping
// the connection mid-DATA, retries with a fake clock, and the password kept out of every message.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import { mailSmtp } from "../engine/connectors/drivers/mail_smtp.ts";
import { mailSendStep } from "../engine/steps/mail_send.ts";
import { fakeContext, runStep } from "../engine/steps/_test_context.ts";
import type { MailConnector } from "../engine/connectors/kinds/mod.ts";
import { tempDir } from "./_helpers.ts";
import { openConnector, startFlakyProxy } from "./_connectors.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

const PASS = "Smtp-Pass-8c1e!";
const AUTH = { user: "mailer", pass: PASS };

type _Smtp = MailConnector & { probe(o: { signal: AbortSignal }): Promise<string> };

function _raw(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** The header block of a raw message. */
function _headers(raw: Uint8Array): string {
  return _raw(raw).split("\r\n\r\n")[0]!;
}

Deno.test("mail:smtp plain: To/Cc headers, no Bcc header, envelope = to + cc + bcc, From from config", async () => {
  await using sink = await startSmtpSink();
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: sink.host,
    port: sink.port,
    from_addr: "ops@example.test",
  });
  await m.connector.send_plaintext({
    to: ["a@example.test", "b@example.test"],
    cc: ["c@example.test"],
    bcc: ["hidden@example.test"],
    subject: "Bericht ü — nightly",
    body: "line 1\n.\n..dots\n",
  });
  const [mail] = await sink.waitForMessages(1);
  assert.equal(mail!.secure, false);
  assert.equal(mail!.from, "ops@example.test");
  assert.deepEqual(mail!.to, ["a@example.test", "b@example.test", "c@example.test", "hidden@example.test"]);
  const headers = _headers(mail!.raw);
  assert.match(headers, /^To: a@example\.test, b@example\.test$/m);
  assert.match(headers, /^Cc: c@example\.test$/m);
  assert.match(headers, /^From: ops@example\.test$/m);
  assert.doesNotMatch(headers, /^Bcc:/im);
  assert.doesNotMatch(_raw(mail!.raw), /hidden@/);
  const parsed = await mail!.parsed();
  assert.equal(parsed.subject, "Bericht ü — nightly");
  assert.equal(parsed.text, "line 1\n.\n..dots\n");
});

Deno.test("mail:smtp: no Cc header without cc; From defaults to the username; an empty from is MAIL FROM:<>", async () => {
  await using sink = await startSmtpSink();
  await using viaUser = await openConnector<_Smtp>(mailSmtp, {
    host: sink.host,
    port: sink.port,
    username: "u@x.test",
  });
  await viaUser.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" });
  await using bare = await openConnector<_Smtp>(mailSmtp, { host: sink.host, port: sink.port });
  await bare.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" });
  const [first, second] = await sink.waitForMessages(2);
  assert.doesNotMatch(_headers(first!.raw), /^Cc:/im);
  assert.equal(first!.from, "u@x.test");
  assert.equal(second!.from, "");
  assert.doesNotMatch(_headers(second!.raw), /^From:/im);
});

Deno.test("mail:smtp HTML: multipart/alternative (empty or given text, then HTML); attachments make it mixed", async () => {
  await using dir = await tempDir();
  await using sink = await startSmtpSink();
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: sink.host,
    port: sink.port,
    from_addr: "o@x.test",
  });
  await m.connector.send_html({ to: ["a@x.test"], subject: "h1", html: "<p>only html</p>" });
  const binary = new Uint8Array(randomBytes(1024 * 1024));
  const binPath = join(dir.path, "payload.zip");
  await Deno.writeFile(binPath, binary);
  await Deno.writeTextFile(join(dir.path, "notes.txt"), "grüße\n");
  await m.connector.send_html({
    to: ["a@x.test"],
    subject: "h2",
    html: "<p>report</p>",
    text: "report",
    attachments: [
      { local_path: binPath },
      { local_path: join(dir.path, "notes.txt"), filename: "readme.txt", content_type: "text/plain" },
    ],
  });
  const [first, second] = await sink.waitForMessages(2);
  assert.match(_headers(first!.raw), /^Content-Type: multipart\/alternative;/m);
  const p1 = await first!.parsed();
  assert.equal(p1.html, "<p>only html</p>");
  assert.match(_raw(first!.raw), /Content-Type: text\/plain; charset=utf-8/);

  assert.match(_headers(second!.raw), /^Content-Type: multipart\/mixed;/m);
  const p2 = await second!.parsed();
  assert.equal(p2.text, "report");
  assert.equal(p2.html, "<p>report</p>");
  assert.deepEqual(p2.attachments.map((a) => [a.filename, a.contentType]), [
    ["payload.zip", "application/zip"],
    ["readme.txt", "text/plain"],
  ]);
  const digest = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  assert.equal(digest(p2.attachments[0]!.content), digest(binary));
  assert.equal(Buffer.from(p2.attachments[1]!.content).toString("utf8"), "grüße\n");
});

Deno.test("mail:smtp STARTTLS + login with the CA pinned (ca_file); probe logs in without sending", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "starttls", tls: certs, auth: AUTH });
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: "localhost",
    port: sink.port,
    starttls: true,
    username: AUTH.user,
    password: PASS,
    from_addr: "o@x.test",
  }, { ca_file: certs.caCertPath });
  assert.deepEqual(m.secrets, [PASS]);
  assert.equal(
    await m.connector.probe({ signal: new AbortController().signal }),
    `SMTP localhost:${sink.port} ready (STARTTLS, login ok)`,
  );
  assert.equal(sink.messages.length, 0);
  await m.connector.send_plaintext({ to: ["a@x.test"], subject: "tls", body: "b" });
  const [mail] = await sink.waitForMessages(1);
  assert.equal(mail!.secure, true);
  assert.equal(mail!.user, AUTH.user);
});

Deno.test("mail:smtp implicit TLS (ssl: true) with the CA pinned", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "tls", tls: certs, auth: AUTH });
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: "localhost",
    port: sink.port,
    ssl: true,
    username: AUTH.user,
    password: PASS,
    from_addr: "o@x.test",
  }, { ca_file: certs.caCertPath });
  await m.connector.send_plaintext({ to: ["a@x.test"], subject: "ssl", body: "b" });
  const [mail] = await sink.waitForMessages(1);
  assert.equal(mail!.secure, true);
});

Deno.test("mail:smtp TLS verification: an unknown CA is refused as a STARTTLS failure; verify_ssl: false accepts it", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "starttls", tls: certs });
  await using strict = await openConnector<_Smtp>(mailSmtp, {
    host: "localhost",
    port: sink.port,
    starttls: true,
  });
  await assert.rejects(strict.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" }), {
    message:
      "SMTP send failed after 1 attempt(s): SMTP STARTTLS failed: unable to verify the first certificate",
  });
  await using lax = await openConnector<_Smtp>(mailSmtp, {
    host: "localhost",
    port: sink.port,
    starttls: true,
  }, { verify_ssl: false });
  await lax.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" });
  assert.equal((await sink.waitForMessages(1))[0]!.secure, true);
});

Deno.test("mail:smtp STARTTLS required but not offered fails; port 587 means STARTTLS unless starttls: false", async () => {
  await using sink = await startSmtpSink(); // plain: no STARTTLS
  await using m = await openConnector<_Smtp>(mailSmtp, { host: sink.host, port: sink.port, starttls: "yes" });
  await assert.rejects(
    m.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" }),
    (e: Error) => {
      assert.match(e.message, /^SMTP send failed after 1 attempt\(s\): SMTP STARTTLS failed: /);
      return true;
    },
  );
  assert.equal(sink.messages.length, 0);
});

Deno.test("mail:smtp wrong password: login failed after every attempt, backoff on the clock, password never shown", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "starttls", tls: certs, auth: AUTH });
  const wrong = "Wrong-Pass-0815";
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: "localhost",
    port: sink.port,
    starttls: true,
    username: AUTH.user,
    password: wrong,
  }, { ca_file: certs.caCertPath, retry: { max_attempts: 3 } });
  await assert.rejects(
    m.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" }),
    (e: Error) => {
      assert.equal(
        e.message,
        "SMTP send failed after 3 attempt(s): SMTP login failed: 535 Invalid username or password",
      );
      return true;
    },
  );
  assert.deepEqual(m.clock.slept, [1000, 2000]);
  assert.equal(m.logs.filter((l) => l.startsWith("WARNING SMTP attempt")).length, 2);
  assert.ok(m.logs.every((l) => !l.includes(wrong)));
  assert.equal(sink.messages.length, 0);
});

Deno.test("mail:smtp unreachable: refused names host:port; a silent server fails within the timeout", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await using refused = await openConnector<_Smtp>(mailSmtp, { host: "127.0.0.1", port });
  await assert.rejects(
    refused.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" }),
    (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`SMTP connection to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`),
      );
      return true;
    },
  );

  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  try {
    await using m = await openConnector<_Smtp>(mailSmtp, {
      host: "127.0.0.1",
      port: (silent.addr as Deno.NetAddr).port,
    }, { timeout: 1 });
    await assert.rejects(
      m.connector.send_plaintext({ to: ["a@x.test"], subject: "s", body: "b" }),
      (e: Error) => {
        // A loaded machine can fire the 1 s connect timeout before the greeting timeout: both name the endpoint.
        assert.match(
          e.message,
          /SMTP connection to 127\.0\.0\.1:\d+ failed: (Greeting never received|Timeout)/,
        );
        return true;
      },
    );
  } finally {
    silent.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("mail:smtp: a server dropping the connection mid-DATA is retried; exactly one message arrives", async () => {
  await using dir = await tempDir();
  await using sink = await startSmtpSink();
  // The first connection is cut once the client has sent 20 kB (inside the attachment's DATA).
  await using proxy = startFlakyProxy({ host: sink.host, port: sink.port }, {
    drop: 1,
    afterClientBytes: 20_000,
  });
  const big = join(dir.path, "big.bin");
  await Deno.writeFile(big, new Uint8Array(randomBytes(200_000)));
  await using m = await openConnector<_Smtp>(mailSmtp, {
    host: "127.0.0.1",
    port: proxy.port,
  }, { retry: { max_attempts: 2 } });
  await m.connector.send_plaintext({
    to: ["a@x.test"],
    subject: "dropped",
    body: "b",
    attachments: [{ local_path: big }],
  });
  const [mail] = await sink.waitForMessages(1);
  assert.equal(proxy.connections, 2);
  assert.deepEqual(m.clock.slept, [1000]);
  assert.equal((await mail!.parsed()).attachments[0]!.content.length, 200_000);
  assert.equal(sink.messages.length, 1);
});

Deno.test("mail:smtp: a missing attachment fails before connecting", async () => {
  await using sink = await startSmtpSink();
  await using m = await openConnector<_Smtp>(mailSmtp, { host: sink.host, port: sink.port });
  await assert.rejects(
    m.connector.send_plaintext({
      to: ["a@x.test"],
      subject: "s",
      body: "b",
      attachments: [{ local_path: "/no/x" }],
    }),
    { message: "Attachment not found or not a file: /no/x" },
  );
});

Deno.test("mail:smtp through call(): plugins send with the same argument names", async () => {
  await using sink = await startSmtpSink();
  await using m = await openConnector<_Smtp>(mailSmtp, { host: sink.host, port: sink.port });
  assert.deepEqual(
    await m.connector.call!("send_html", { to: ["a@x.test"], subject: "via call", html: "<b>x</b>" }),
    { sent: true },
  );
  assert.equal((await (await sink.waitForMessages(1))[0]!.parsed()).subject, "via call");
  await assert.rejects(m.connector.call!("delete_all", {}), {
    message: 'mail:smtp has no method "delete_all"',
  });
});

Deno.test("mail_send step: plain and HTML through a mail resource; attachments from the sandbox; outputs", async () => {
  await using dir = await tempDir();
  await using sink = await startSmtpSink();
  const connectors = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      mailer: {
        kind: "mail",
        driver: "smtp",
        config: { host: sink.host, port: sink.port, from_addr: "flow@x.test" },
        options: {},
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const ctx = fakeContext({ workRoot: dir.path, connectors });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  await Deno.writeTextFile(join(ctx.artifactsDir, "report.csv"), "a,b\n1,2\n");
  const plain = await runStep(mailSendStep, {
    resource: "mailer",
    to: "ops@x.test",
    bcc: ["audit@x.test"],
    subject: 42,
    body: { rows: 2 },
    attachments: ["report.csv"],
  }, ctx);
  assert.deepEqual(plain, {
    status: "SUCCESS",
    outputs: { sent: true, to: ["ops@x.test"], subject: "42", html: false, attachments: ["report.csv"] },
  });
  const html = await runStep(mailSendStep, {
    resource: "mailer",
    to: ["ops@x.test"],
    subject: "h",
    body: "<h1>done</h1>",
    html: "true",
    text: "done",
  }, ctx);
  assert.equal(html.outputs?.html, true);
  const [m1, m2] = await sink.waitForMessages(2);
  assert.deepEqual(m1!.to, ["ops@x.test", "audit@x.test"]);
  const p1 = await m1!.parsed();
  assert.equal(p1.text, '{"rows":2}');
  assert.equal(p1.attachments[0]?.filename, "report.csv");
  const p2 = await m2!.parsed();
  assert.deepEqual([p2.text, p2.html], ["done", "<h1>done</h1>"]);
  await assert.rejects(
    runStep(mailSendStep, { resource: "mailer", to: [], subject: "s", body: "b" }, ctx),
    { message: "mail_send needs at least one recipient in to, cc or bcc" },
  );
  await assert.rejects(
    runStep(mailSendStep, {
      resource: "mailer",
      to: "a@x.test",
      subject: "s",
      body: "b",
      attachments: ["/etc/passwd"],
    }, ctx),
    (e: Error) => /^Path not under allowed roots: \/etc\/passwd/.test(e.message),
  );
  await connectors.closeAll();
});
