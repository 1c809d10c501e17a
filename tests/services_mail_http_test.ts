// In-process servers for connector tests: the SMTP sink (npm smtp-server) driven by npm nodemailer in all
// three modes and parsed by mailparser, and the HTTP(S) helper driven by fetch with a pinned test CA.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { tempDir } from "./_helpers.ts";
import { startHttpServer } from "./_http_server.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

Deno.test("smtp sink: nodemailer delivers plain, STARTTLS+AUTH (CA pinned) and implicit TLS; mailparser reads it", async (t) => {
  const { default: nodemailer } = await import("nodemailer");
  const certs = await testCertificates();
  const auth = { user: "mailer", pass: "s3cret" };
  const CASES = [
    { mode: "plain", secure: false, auth: undefined },
    { mode: "starttls", secure: false, auth },
    { mode: "tls", secure: true, auth },
  ] as const;
  for (const c of CASES) {
    await t.step(c.mode, async () => {
      await using sink = await startSmtpSink({ mode: c.mode, tls: certs, auth: c.auth });
      const transport = nodemailer.createTransport({
        host: sink.host,
        port: sink.port,
        secure: c.secure,
        requireTLS: c.mode === "starttls",
        ignoreTLS: c.mode === "plain",
        name: "client.localhost", // else nodemailer asks os.hostname()
        auth: c.auth,
        tls: { ca: certs.caCert, servername: "localhost" },
      });
      try {
        await transport.sendMail({
          from: "ops@example.test",
          to: ["a@example.test", "b@example.test"],
          bcc: "hidden@example.test",
          subject: "Bericht ü",
          text: "line\n.\n..dots\n",
          attachments: [{ filename: "d.bin", content: Buffer.from([0, 1, 2, 255]) }],
        });
      } finally {
        transport.close();
      }
      const [mail] = await sink.waitForMessages(1);
      assert.equal(mail.secure, c.mode !== "plain");
      assert.equal(mail.user, c.auth?.user);
      assert.deepEqual(mail.to, ["a@example.test", "b@example.test", "hidden@example.test"]);
      const parsed = await mail.parsed();
      assert.equal(parsed.subject, "Bericht ü");
      assert.equal(parsed.text, "line\n.\n..dots\n");
      assert.equal(parsed.headers.has("bcc"), false);
      assert.deepEqual([...parsed.attachments[0].content], [0, 1, 2, 255]);
    });
  }
});

Deno.test("smtp sink: saveDir keeps each message as an .eml file", async () => {
  const { default: nodemailer } = await import("nodemailer");
  await using dir = await tempDir();
  await using sink = await startSmtpSink({ saveDir: dir.path });
  const transport = nodemailer.createTransport({
    host: sink.host,
    port: sink.port,
    ignoreTLS: true,
    name: "client.localhost",
  });
  try {
    await transport.sendMail({ from: "a@x.test", to: "b@x.test", subject: "saved", text: "body" });
  } finally {
    transport.close();
  }
  await sink.waitForMessages(1);
  assert.deepEqual(await Deno.readFile(join(dir.path, "1.eml")), sink.messages[0].raw);
  assert.match(new TextDecoder().decode(sink.messages[0].raw), /^Subject: saved\r$/m);
});

Deno.test("smtp sink: a wrong password is refused with 535", async () => {
  const { default: nodemailer } = await import("nodemailer");
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "tls", tls: certs, auth: { user: "u", pass: "right" } });
  const transport = nodemailer.createTransport({
    host: sink.host,
    port: sink.port,
    secure: true,
    name: "client.localhost",
    auth: { user: "u", pass: "wrong" },
    tls: { ca: certs.caCert, servername: "localhost" },
  });
  try {
    await assert.rejects(transport.sendMail({ from: "a@x.test", to: "b@x.test", text: "x" }), {
      responseCode: 535,
    });
  } finally {
    transport.close();
  }
  assert.equal(sink.messages.length, 0);
});

Deno.test("http server: fetch over plain HTTP and over HTTPS with the test CA pinned; unpinned is refused", async () => {
  await using plain = startHttpServer((req) => Response.json({ path: new URL(req.url).pathname }));
  const r = await fetch(`${plain.origin}/x?y=1`, { method: "POST", body: "hi" });
  assert.deepEqual(await r.json(), { path: "/x" });
  assert.equal(plain.requests[0].method, "POST");
  assert.equal(new TextDecoder().decode(plain.requests[0].body), "hi");

  const certs = await testCertificates();
  await using tls = startHttpServer(() => new Response("secure"), { tls: certs });
  using client = Deno.createHttpClient({ caCerts: [certs.caCert] });
  assert.equal(await (await fetch(tls.origin, { client })).text(), "secure");
  const ip = tls.origin.replace("localhost", "127.0.0.1"); // the IP SAN is valid too
  assert.equal(await (await fetch(ip, { client })).text(), "secure");
  await assert.rejects(
    fetch(tls.origin),
    (e: Error) => /UnknownIssuer|certificate/i.test(String(e.cause ?? e)),
  );
});
