/**
 * `smb:pysmb` on the Debian `smbclient` program, with upstream pysmb's config keys and behaviour (docs/connectors.md
 * "smb:smbclient, smb:pysmb"): the share of a UNC path is used only without `config.share`, listed paths are
 * `<remote_dir>/<name>`, and `delete` logs instead of raising.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { FilesConnector } from "../kinds/files.ts";
import { defineConnector } from "../types.ts";
import { createSmb, PYSMB_FLAVOUR, smbSettingsOf } from "./_smb_common.ts";
import { SMB_EXTRA_CONFIG, SMB_OPTIONS } from "./smb_smbclient.ts";

export const smbPysmb = defineConnector({
  kind: "smb",
  driver: "pysmb",
  origin: "builtin",
  config: fields.fixedMap({
    server: fields.text({ nonEmpty: true }),
    // NetBIOS names of upstream's direct-TCP client; smbclient needs neither (accepted for compatibility).
    server_name: fields.text({ default: null, scalars: true }),
    client_name: fields.text({ default: "aetherflow", scalars: true }),
    share: fields.text({ default: "", scalars: true }),
    username: fields.text({ default: null, scalars: true }),
    user: fields.text({ default: null, scalars: true }),
    password: fields.text({ default: "", scalars: true }),
    port: fields.int({ default: 445, min: 1 }),
    ...SMB_EXTRA_CONFIG,
  }),
  options: SMB_OPTIONS,
  create(resource, ctx): FilesConnector & { probe(): Promise<string> } {
    return createSmb(resource.name, smbSettingsOf(resource.config, resource.options), PYSMB_FLAVOUR, ctx);
  },
});
