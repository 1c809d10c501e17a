/**
 * `smb:smbclient` on the Debian `smbclient` program (docs/connectors.md "smb:smbclient, smb:pysmb"): SMB2/3,
 * NTLMv2, signing and encryption (`config.protection`), any port. No pure-JS SMB client signs or speaks SMB3,
 * so the program does the protocol; this driver runs one `smbclient` per operation.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { FilesConnector } from "../kinds/files.ts";
import { defineConnector } from "../types.ts";
import { createSmb, SMBCLIENT_FLAVOUR, smbSettingsOf } from "./_smb_common.ts";

/** Keys both SMB drivers accept beyond upstream's (docs/connectors.md). */
export const SMB_EXTRA_CONFIG = {
  domain: fields.text({ default: "", scalars: true }),
  protection: fields.oneOf(["default", "sign", "encrypt", "off"] as const, { default: "default" }),
};

export const SMB_OPTIONS = fields.fixedMap({
  timeout: fields.number({ default: 30, min: 0 }),
  atomic_uploads: fields.bool({ default: true }),
  smbclient: fields.text({ default: "smbclient", nonEmpty: true }),
  cache: fields.text({ default: null }),
});

export const smbSmbclient = defineConnector({
  kind: "smb",
  driver: "smbclient",
  origin: "builtin",
  config: fields.fixedMap({
    server: fields.text({ nonEmpty: true }),
    share: fields.text({ default: "", scalars: true }),
    username: fields.text({ default: null, scalars: true }),
    user: fields.text({ default: null, scalars: true }),
    password: fields.text({ default: "", scalars: true }),
    port: fields.int({ default: 445, min: 1 }),
    ...SMB_EXTRA_CONFIG,
  }),
  options: SMB_OPTIONS,
  create(resource, ctx): FilesConnector & { probe(): Promise<string> } {
    return createSmb(resource.name, smbSettingsOf(resource.config, resource.options), SMBCLIENT_FLAVOUR, ctx);
  },
});
