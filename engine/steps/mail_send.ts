// `mail_send`: one plain-text or HTML (multipart/alternative) message through a mail connector, with optional
// file attachments [ours] (docs/steps.md "mail_send").
import { basename } from "node:path";
import type { z } from "zod";
import { StepError } from "../errors.ts";
import { fail, field, fields, toText } from "../inputs/mod.ts";
import { isMap } from "../types.ts";
import type { MailAttachment } from "../connectors/kinds/mod.ts";
import { defineStep } from "./types.ts";

/** Subject and body: strings as they are, null as "", anything else as its D17 text. */
const _text = () =>
  field((v): string => v === null ? "" : toText(v), { required: true, nullIsDefault: false });

const _address = fields.text({ nonEmpty: true });

/** An attachment: a path string, or `{path, filename?, content_type?}`. */
const _attachment: z.ZodType<{ path: string; filename: string | null; content_type: string | null }> = field(
  (v, ctx) => typeof v === "string" ? { path: v } : isMap(v) ? v : fail(ctx, "must be a path or a map"),
).pipe(fields.fixedMap({
  path: fields.path(),
  filename: fields.text({ default: null, nonEmpty: true }),
  content_type: fields.text({ default: null, nonEmpty: true }),
})) as never;

export const mailSendStep = defineStep({
  type: "mail_send",
  origin: "builtin",
  inputs: fields.fixedMap({
    resource: fields.text({ nonEmpty: true }),
    to: fields.list(_address, { required: true }),
    subject: _text(),
    body: _text(),
    html: fields.bool({ default: false }),
    text: fields.text({ default: null, scalars: true }),
    cc: fields.list(_address),
    bcc: fields.list(_address),
    from_addr: fields.text({ default: null }),
    attachments: fields.list(_attachment),
  }),
  connector: { input: "resource", kinds: ["mail"], methods: ["send_plaintext", "send_html"] },
  async run(input, ctx) {
    if (input.to.length + input.cc.length + input.bcc.length === 0) {
      throw new StepError("mail_send needs at least one recipient in to, cc or bcc");
    }
    const attachments: MailAttachment[] = [];
    for (const a of input.attachments) {
      const local = await ctx.paths.resolve(a.path);
      attachments.push({
        local_path: local,
        filename: a.filename ?? basename(local),
        ...(a.content_type ? { content_type: a.content_type } : {}),
      });
    }
    const mail = await ctx.connectors.mail(input.resource);
    const common = {
      to: input.to,
      subject: input.subject,
      from_addr: input.from_addr,
      cc: input.cc,
      bcc: input.bcc,
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    if (input.html) await mail.send_html({ ...common, html: input.body, text: input.text });
    else await mail.send_plaintext({ ...common, body: input.body });
    const recipients = input.to.length + input.cc.length + input.bcc.length;
    ctx.log.info(`mail sent: ${recipients} recipient(s), ${attachments.length} attachment(s)`);
    return {
      status: "SUCCESS",
      outputs: {
        sent: true,
        to: input.to,
        subject: input.subject,
        html: input.html,
        ...(attachments.length > 0 ? { attachments: attachments.map((a) => a.filename ?? "") } : {}),
      },
    };
  },
});
