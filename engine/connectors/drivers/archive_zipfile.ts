/**
 * `archive:zipfile` on npm `@zip.js/zip.js` (loaded on first use): plain zips (deflate or stored); extraction
 * reads plain, ZipCrypto and AES archives. A password on create is refused (docs/connectors.md "archive").
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { ArchiveConnector } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";
import { ARCHIVE_OPTIONS } from "./_archive_io.ts";
import { zipJsArchive } from "./_zipjs_archive.ts";

export const archiveZipfile = defineConnector({
  kind: "archive",
  driver: "zipfile",
  origin: "builtin",
  config: fields.fixedMap({}),
  options: ARCHIVE_OPTIONS,
  create(resource, ctx): ArchiveConnector {
    return zipJsArchive(resource.name, {
      driver: "zipfile",
      encryption: {
        kind: "none",
        refuse: "archive.zipfile does not support writing encrypted ZIPs. " +
          "Use driver pyzipper (AES) or pyminizip/os (ZipCrypto).",
      },
    }, ctx);
  },
});
