// `zip`: archive files, directories and globs into one zip through an archive connector (docs/steps.md "zip").
import { z } from "zod";
import { fail, field, fields } from "../../inputs/mod.ts";
import { isMap } from "../../types.ts";
import { hasGlobChars } from "../../fnmatch.ts";
import { isMaskableSecret } from "../../config/masking.ts";
import { defineStep } from "../types.ts";
import { archiveConnectorUse, chooseArchiveConnector } from "./_archive_connector.ts";
import { collectZipFiles, type ZipItem } from "./_zip_items.ts";

const _NO_PATH_OR_GLOB = "zip inputs item dict must have 'path' or 'glob'";

/** One item: a string (a glob when it holds `*`, `?` or `[`), or a map `{path}` / `{glob}`. */
const _item: z.ZodType<ZipItem> = field((v, ctx) => {
  if (typeof v === "string" && v !== "") return hasGlobChars(v) ? { glob: v } : { path: v };
  if (isMap(v)) return v;
  return fail(ctx, "must be a path string or a map with 'path' or 'glob'");
}).pipe(
  fields.fixedMap({
    path: fields.path({ default: null }),
    glob: fields.text({ default: null, nonEmpty: true }),
  }),
).transform((m, ctx): ZipItem => {
  if (ctx.issues.length > 0) return z.NEVER; // an unknown key already said what is wrong
  if (m.path !== null) return { path: m.path };
  if (m.glob !== null) return { glob: m.glob };
  return fail(ctx, _NO_PATH_OR_GLOB, { verbatim: true });
}) as unknown as z.ZodType<ZipItem>;

export const zipStep = defineStep({
  type: "zip",
  origin: "builtin",
  inputs: fields.fixedMap({
    dest_path: fields.path(),
    items: field(
      (v, ctx) => Array.isArray(v) ? v : fail(ctx, "zip inputs.items must be a list", { verbatim: true }),
    ).pipe(z.array(_item)),
    src_dir: fields.path({ default: null }),
    recursive: fields.bool({ default: true }),
    overwrite: fields.bool({ default: true }),
    password: fields.text({ default: null, scalars: true }),
    compression: fields.text({ default: "deflated" }),
    resource: fields.text({ default: null }),
    connector: fields.text({ default: null }),
  }),
  secretInputs: ["password"],
  connector: archiveConnectorUse("create_zip"),
  async run(input, ctx) {
    const password = input.password === "" ? null : input.password;
    if (password !== null && isMaskableSecret(password)) ctx.addSecret(password);
    const dest = await ctx.paths.resolve(input.dest_path);
    const srcDir = await ctx.paths.resolve(input.src_dir ?? ctx.artifactsDir);
    const files = await collectZipFiles(input.items, {
      srcDir,
      recursive: input.recursive,
      paths: ctx.paths,
    });
    if (files.length === 0) {
      return { status: "SKIPPED", outputs: { output: dest, count: 0 }, reason: "no_files" };
    }
    const archive = await chooseArchiveConnector({ ...input, password }, ctx);
    const created = await archive.create_zip({
      output: dest,
      files,
      base_dir: srcDir,
      password,
      compression: input.compression,
      overwrite: input.overwrite,
    });
    ctx.log.info(`zip wrote ${created.output} count=${created.count} driver=${created.driver}`);
    return { status: "SUCCESS", outputs: { ...created, src_dir: srcDir } };
  },
});
