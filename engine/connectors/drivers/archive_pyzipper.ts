/**
 * `archive:pyzipper` on npm `@zip.js/zip.js` (loaded on first use): WinZip AES-128/192/256 with a password
 * (`config.aes_strength`, default 256), plain without; extraction reads AES, ZipCrypto and plain archives
 * (docs/connectors.md "archive").
 * @module
 */
import { asInt, fail, field, fields } from "../../inputs/mod.ts";
import type { ArchiveConnector } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";
import { ARCHIVE_OPTIONS } from "./_archive_io.ts";
import { zipJsArchive } from "./_zipjs_archive.ts";

/** Key size in bits -> zip.js `encryptionStrength`. */
const _STRENGTH = new Map<number, 1 | 2 | 3>([[128, 1], [192, 2], [256, 3]]);

export const archivePyzipper = defineConnector({
  kind: "archive",
  driver: "pyzipper",
  origin: "builtin",
  config: fields.fixedMap({
    aes_strength: field((v, ctx) => {
      const bits = asInt(v);
      return bits !== undefined && _STRENGTH.has(bits) ? bits : fail(ctx, "must be 128, 192 or 256");
    }, { required: false, fallback: 256 }),
    /** Accepted and ignored, as upstream did. */
    encryption: fields.any(),
  }),
  options: ARCHIVE_OPTIONS,
  create(resource, ctx): ArchiveConnector {
    return zipJsArchive(resource.name, {
      driver: "pyzipper",
      encryption: { kind: "aes", strength: _STRENGTH.get(resource.config.aes_strength) ?? 3 },
    }, ctx);
  },
});
