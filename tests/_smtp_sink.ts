// An in-process SMTP sink (npm smtp-server) on 127.0.0.1:<port 0>, collecting every message raw; parse one
// with `parsed()` (npm mailparser). `name` + `disableReverseLookup` keep smtp-server off os.hostname() and DNS.
// Note smtp-server waits ~100 ms before each greeting (hard-coded): pool connections when sending many.
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ParsedMail } from "mailparser";

export type SmtpSinkMode = "plain" | "starttls" | "tls";

export interface SmtpSinkOptions {
  /** plain (no TLS offered), starttls (STARTTLS offered, AUTH only after it), tls (implicit TLS). */
  mode?: SmtpSinkMode;
  /** PEM cert and key (tests/_tls_certs.ts); required for starttls and tls. */
  tls?: { cert: string; key: string };
  /** Require AUTH (PLAIN/LOGIN) with these credentials; default: no auth. */
  auth?: { user: string; pass: string };
  /** Answer every DATA with this SMTP error (e.g. `{ code: 452, message: "mailbox full" }`). */
  rejectData?: { code: number; message: string };
  /** Also save each message as `<n>.eml` in this directory. */
  saveDir?: string;
}

export interface ReceivedMail {
  from: string | false;
  to: string[];
  /** The DATA as received (dot-unstuffed), CRLF line ends. */
  raw: Uint8Array;
  /** The connection was TLS (STARTTLS or implicit). */
  secure: boolean;
  /** The authenticated user, if any. */
  user?: string;
  parsed(): Promise<ParsedMail>;
}

export interface SmtpSink extends AsyncDisposable {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Connection errors the server saw (TLS alerts, resets). */
  errors: Error[];
  /** Resolve when at least `count` messages arrived; rejects after `timeoutMs` (default 30 s). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const { SMTPServer } = await import("smtp-server");
  const { simpleParser } = await import("mailparser");
  const mode = options.mode ?? "plain";
  if (mode !== "plain" && !options.tls) throw new Error(`SMTP sink mode ${mode} needs tls: { cert, key }`);
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    name: "mx.localhost",
    disableReverseLookup: true,
    logger: false,
    secure: mode === "tls",
    ...(mode === "plain" ? {} : { key: options.tls!.key, cert: options.tls!.cert }),
    disabledCommands: [...(mode === "plain" ? ["STARTTLS"] : []), ...(options.auth ? [] : ["AUTH"])],
    authOptional: !options.auth,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.pass;
      callback(
        ok ? null : Object.assign(new Error("Invalid username or password"), { responseCode: 535 }),
        ok ? { user: auth.username } : undefined,
      );
    },
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        if (options.rejectData) {
          const { code, message } = options.rejectData;
          return callback(Object.assign(new Error(message), { responseCode: code }));
        }
        const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let off = 0;
        for (const c of chunks) raw.set(c, (off += c.length) - c.length);
        const env = session.envelope;
        if (options.saveDir) Deno.writeFileSync(join(options.saveDir, `${messages.length + 1}.eml`), raw);
        messages.push({
          from: env.mailFrom ? env.mailFrom.address : false,
          to: env.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
          user: typeof session.user === "string" ? session.user : undefined,
          parsed: () => simpleParser(Buffer.from(raw)),
        });
        for (const w of waiters) w();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // Connection-level failures (a client refusing our certificate, a dropped socket) are emitted on the server;
  // unhandled they would crash the test process. Tests read them from `errors`.
  const errors: Error[] = [];
  server.on("error", (err: Error) => errors.push(err));
  const port = (server.server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    host: "127.0.0.1",
    port,
    messages,
    errors,
    waitForMessages(count, timeoutMs = 30_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const done = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`SMTP sink: ${messages.length} of ${count} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(done);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
