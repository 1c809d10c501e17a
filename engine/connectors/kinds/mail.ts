/**
 * The `mail` connector kind: sending for the mail_send step (see docs/connectors.md "mail").
 * @module
 */
import { z } from "zod";
import type { Connector } from "../types.ts";
import { callChecked, type GenericCall, genericPart } from "./_adapt.ts";

/** A file attached to a message. `local_path` is a host path (mapped and checked for plugin callers). */
export interface MailAttachment {
  local_path: string;
  /** Default: the file's base name. */
  filename?: string | null;
  /** Default: from the file name's extension. */
  content_type?: string | null;
}

interface _Envelope {
  to: string[];
  subject: string;
  from_addr?: string | null;
  cc?: string[];
  /** Envelope recipients only: never written as a header. */
  bcc?: string[];
  attachments?: MailAttachment[];
}

export interface MailConnector extends Connector {
  send_plaintext(args: _Envelope & { body: string }): Promise<void>;
  /** multipart/alternative: `text` (or empty) then `html`. */
  send_html(args: _Envelope & { html: string; text?: string | null }): Promise<void>;
}

export const MAIL_METHODS = ["send_plaintext", "send_html"] as const;
export const MAIL_REQUIRED = MAIL_METHODS;

const _ok = z.unknown().transform(() => undefined);

/** A MailConnector over a plugin's generic `call`. */
export function mailFromCall(base: Connector & { call: GenericCall }): MailConnector {
  const where = (method: string) => ({ resource: base.resource, method });
  return {
    ...genericPart(base),
    send_plaintext: (args) => callChecked(base.call, where("send_plaintext"), { ...args }, _ok),
    send_html: (args) => callChecked(base.call, where("send_html"), { ...args }, _ok),
  };
}
