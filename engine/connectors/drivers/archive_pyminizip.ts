/**
 * `archive:pyminizip` on npm `@zip.js/zip.js` (loaded on first use): ZipCrypto archives, for receivers whose
 * tools cannot read AES. Create only, and only with a password; deflate at `config.level` (default 5)
 * whatever `compression` says (docs/connectors.md "archive"). Never allowed in enterprise mode.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { ArchiveConnector } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";
import { ARCHIVE_OPTIONS } from "./_archive_io.ts";
import { zipJsArchive } from "./_zipjs_archive.ts";

export const archivePyminizip = defineConnector({
  kind: "archive",
  driver: "pyminizip",
  origin: "builtin",
  config: fields.fixedMap({ level: fields.int({ default: 5, min: 0 }) }),
  options: ARCHIVE_OPTIONS,
  create(resource, ctx): ArchiveConnector {
    return zipJsArchive(resource.name, {
      driver: "pyminizip",
      encryption: { kind: "zipcrypto" },
      passwordRequired: "archive.pyminizip is intended for encrypted zips; set inputs.password",
      fixedLevel: Math.min(resource.config.level, 9),
      noExtract: "archive.pyminizip does not support unzip; use driver zipfile, pyzipper or os",
    }, ctx);
  },
});
