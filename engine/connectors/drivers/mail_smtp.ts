/**
 * `mail:smtp` on npm `nodemailer` (loaded on first use). A plain connection, then STARTTLS when
 * `config.starttls` (default: port 587) — required, never skipped silently; `config.ssl` opens implicit TLS
 * (port 465) instead [ours]. Login only when both username and password are set. Headers `From`, `To`, `Cc`
 * (when any), `Subject`; never a `Bcc` header; the envelope is to + cc + bcc. One pooled connection is kept
 * until `close()` (QUIT). A failed send closes it, waits `min(2^i, 5)` s and retries up to
 * `options.retry.max_attempts` attempts in all (docs/connectors.md "mail:smtp").
 * @module
 */
import { Buffer } from "node:buffer";
import { basename } from "node:path";
import { z } from "zod";
import { AetherflowError } from "../../errors.ts";
import { isMaskableSecret } from "../../config/masking.ts";
import { asBool, fail, field, fields } from "../../inputs/mod.ts";
import type { JsonValue } from "../../types.ts";
import type { MailAttachment, MailConnector } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";

export class MailError extends AetherflowError {
  constructor(message: string, code = "connector:mail") {
    super(message, { code });
    this.name = "MailError";
  }
}

const _CONFIG = fields.fixedMap({
  host: fields.text({ nonEmpty: true }),
  port: fields.int({ default: 587, min: 1 }),
  username: fields.text({ default: null, scalars: true }),
  password: fields.text({ default: null, scalars: true }),
  // Absent = port 587 decides; present = its boolean value.
  starttls: field((v, ctx): boolean | null => asBool(v) ?? fail(ctx, "must be a boolean"), {
    required: false,
    fallback: null,
  }),
  ssl: fields.bool({ default: false }),
  from_addr: fields.text({ default: null }),
});

const _OPTIONS = fields.fixedMap({
  timeout: fields.number({ default: 30, min: 0 }),
  retry: fields.map({ max_attempts: fields.int({ default: 1, min: 1 }) }),
  verify_ssl: fields.bool({ default: true }),
  ca_file: fields.path({ default: null }),
  cache: fields.text({ default: null }),
});

interface _Message {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  from: string;
  text?: string | Uint8Array;
  html?: string;
  attachments: MailAttachment[];
}

const _addresses = z.array(z.string()).default([]);
const _attachments = z.array(z.object({
  local_path: z.string(),
  filename: z.string().nullish(),
  content_type: z.string().nullish(),
})).default([]);
const _common = {
  to: _addresses,
  cc: _addresses,
  bcc: _addresses,
  subject: z.string(),
  from_addr: z.string().nullish(),
  attachments: _attachments,
};
const _PLAIN_ARGS = z.object({ ..._common, body: z.string() });
const _HTML_ARGS = z.object({ ..._common, html: z.string(), text: z.string().nullish() });

/** How a nodemailer failure reads in our messages (code-based; never the password). */
function _reason(err: unknown, where: string, tls: "starttls" | "ssl" | "none"): string {
  const e = err as { code?: string; command?: string; message?: string };
  const msg = (e.message ?? String(err)).replace(/^Invalid login: /, "");
  if (e.code === "EAUTH") return `SMTP login failed: ${msg}`;
  if (e.code === "ETLS") return `SMTP STARTTLS failed: ${msg}`;
  const certificate = /certificate|self[- ]signed|alert|handshake|ssl|tls/i.test(msg);
  if (certificate && tls === "starttls") return `SMTP STARTTLS failed: ${msg}`;
  if (certificate && tls === "ssl") return `SMTP TLS failed: ${msg}`;
  if (e.code === "ETIMEDOUT" || e.code === "ECONNECTION" || (e.code === "ESOCKET" && e.command === "CONN")) {
    return `SMTP connection to ${where} failed: ${msg}`;
  }
  return msg;
}

async function _checkAttachments(list: readonly MailAttachment[]): Promise<void> {
  for (const a of list) {
    let ok = false;
    try {
      ok = (await Deno.stat(a.local_path)).isFile;
    } catch {
      ok = false;
    }
    if (!ok) throw new MailError(`Attachment not found or not a file: ${a.local_path}`);
  }
}

export const mailSmtp = defineConnector({
  kind: "mail",
  driver: "smtp",
  origin: "builtin",
  config: _CONFIG,
  options: _OPTIONS,
  secrets: (c) => [c.password],
  async create(
    resource,
    ctx,
  ): Promise<MailConnector & { probe(o: { signal: AbortSignal }): Promise<string> }> {
    const cfg = resource.config;
    const opt = resource.options;
    const { default: nodemailer } = await import("nodemailer");
    if (cfg.password) ctx.addSecret?.(cfg.password);
    const starttls = cfg.ssl ? false : cfg.starttls ?? cfg.port === 587;
    const tlsMode = cfg.ssl ? "ssl" : starttls ? "starttls" : "none";
    const where = `${cfg.host}:${cfg.port}`;
    const ca = opt.ca_file === null ? undefined : await Deno.readTextFile(opt.ca_file);
    const ms = Math.max(1, opt.timeout) * 1000;
    const scrub = (text: string) =>
      cfg.password && isMaskableSecret(cfg.password) ? text.replaceAll(cfg.password, "***") : text;
    let name = "localhost";
    try {
      name = Deno.hostname();
    } catch { /* no permission: a neutral EHLO name */ }

    type _Transport = ReturnType<typeof nodemailer.createTransport>;
    let transport: _Transport | null = null;
    const open = (): _Transport =>
      transport ??= nodemailer.createTransport({
        host: cfg.host,
        port: cfg.port,
        secure: cfg.ssl,
        requireTLS: starttls,
        ignoreTLS: !starttls && !cfg.ssl,
        name,
        pool: true,
        maxConnections: 1,
        connectionTimeout: ms,
        greetingTimeout: ms,
        socketTimeout: ms,
        ...(cfg.username && cfg.password ? { auth: { user: cfg.username, pass: cfg.password } } : {}),
        tls: { rejectUnauthorized: opt.verify_ssl, servername: cfg.host, ...(ca ? { ca } : {}) },
      });
    const drop = () => {
      try {
        transport?.close();
      } catch { /* already closed */ }
      transport = null;
    };

    const send = async (m: _Message): Promise<void> => {
      await _checkAttachments(m.attachments);
      const attempts = opt.retry.max_attempts;
      let last = "";
      for (let i = 0; i < attempts; i++) {
        ctx.signal.throwIfAborted();
        try {
          await open().sendMail({
            from: m.from || undefined,
            to: m.to,
            ...(m.cc.length > 0 ? { cc: m.cc } : {}),
            subject: m.subject,
            ...(m.text !== undefined ? { text: m.text as string } : {}),
            ...(m.html !== undefined ? { html: m.html } : {}),
            attachments: m.attachments.map((a) => ({
              path: a.local_path,
              filename: a.filename ?? basename(a.local_path),
              ...(a.content_type ? { contentType: a.content_type } : {}),
            })),
            envelope: { from: m.from, to: [...m.to, ...m.cc, ...m.bcc] },
          });
          return;
        } catch (err) {
          drop();
          last = scrub(_reason(err, where, tlsMode));
          if (i + 1 < attempts) {
            const wait = Math.min(2 ** i, 5);
            ctx.log.warn(`SMTP attempt ${i + 1}/${attempts} failed: ${last}; retrying in ${wait} s`);
            await ctx.clock.sleep(wait * 1000, ctx.signal);
          }
        }
      }
      throw new MailError(`SMTP send failed after ${attempts} attempt(s): ${last}`);
    };

    const fromOf = (from: string | null | undefined) => from || cfg.from_addr || cfg.username || "";
    const connector = {
      resource: resource.name,
      send_plaintext: (a: z.input<typeof _PLAIN_ARGS>) => {
        const p = _PLAIN_ARGS.parse(a);
        return send({ ...p, from: fromOf(p.from_addr), text: p.body });
      },
      send_html: (a: z.input<typeof _HTML_ARGS>) => {
        const p = _HTML_ARGS.parse(a);
        // An empty text part is still sent, so the message stays multipart/alternative.
        return send({ ...p, from: fromOf(p.from_addr), html: p.html, text: p.text || Buffer.alloc(0) });
      },
      /** `doctor --connect`: connect, EHLO, STARTTLS and login, without sending. */
      async probe({ signal }: { signal: AbortSignal }): Promise<string> {
        const t = open();
        const stop = () => drop();
        signal.addEventListener("abort", stop, { once: true });
        try {
          await t.verify();
        } catch (err) {
          drop();
          throw new MailError(scrub(_reason(err, where, tlsMode)));
        } finally {
          signal.removeEventListener("abort", stop);
        }
        const parts = [tlsMode === "none" ? "plain" : tlsMode === "ssl" ? "TLS" : "STARTTLS"];
        if (cfg.username && cfg.password) parts.push("login ok");
        return `SMTP ${where} ready (${parts.join(", ")})`;
      },
      async call(method: string, args: JsonValue): Promise<JsonValue> {
        if (method === "send_plaintext") await connector.send_plaintext(args as never);
        else if (method === "send_html") await connector.send_html(args as never);
        else throw new MailError(`mail:smtp has no method ${JSON.stringify(method)}`);
        return { sent: true };
      },
      close() {
        drop();
      },
    };
    return connector;
  },
});
