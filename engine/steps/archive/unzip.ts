// `unzip`: extract zip archives into dest_dir through an archive connector; entries that would land outside
// their target folder refuse the archive (docs/steps.md "unzip").
import { basename, dirname, extname, join, relative, sep } from "node:path";
import { z } from "zod";
import { StepError } from "../../errors.ts";
import { fail, field, fields, toText } from "../../inputs/mod.ts";
import type { JsonObject } from "../../types.ts";
import { isMaskableSecret } from "../../config/masking.ts";
import { defineStep, type StepResult } from "../types.ts";
import { archiveConnectorUse, chooseArchiveConnector } from "./_archive_connector.ts";

/** Where an archive's entries go: its folder relative to src_dir, or a folder named after it. */
export function unzipTarget(
  archive: string,
  srcDir: string,
  destDir: string,
  privateFolder: boolean,
): string {
  const rel = relative(srcDir, archive);
  const under = rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep);
  if (!under) return join(destDir, basename(archive));
  if (privateFolder) return join(destDir, rel.slice(0, rel.length - extname(rel).length));
  return join(destDir, dirname(rel));
}

async function _isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return false;
    throw err;
  }
}

export const unzipStep = defineStep({
  type: "unzip",
  origin: "builtin",
  inputs: fields.fixedMap({
    archives: field((v, ctx) => {
      if (v === null || v === "") return [];
      if (typeof v === "string") return [v];
      if (Array.isArray(v)) return v;
      return fail(ctx, `Archives must be a list of Path ${toText(v)} `, { verbatim: true });
    }, { required: true }).pipe(z.array(fields.path())),
    dest_dir: fields.path(),
    src_dir: fields.path({ default: null }),
    resource: fields.text({ default: null }),
    connector: fields.text({ default: null }),
    password: fields.text({ default: null, scalars: true }),
    overwrite: fields.bool({ default: true }),
    members: field(
      (v, ctx) =>
        Array.isArray(v)
          ? v
          : fail(ctx, "unzip inputs.members must be a list when provided", { verbatim: true }),
      { required: false, fallback: null },
    ).pipe(z.array(fields.text({ nonEmpty: true })).nullable()),
    private_zip_folder: fields.bool({ default: false }),
  }),
  secretInputs: ["password"],
  connector: archiveConnectorUse("extract_zip"),
  async run(input, ctx): Promise<StepResult> {
    const password = input.password === "" ? null : input.password;
    if (password !== null && isMaskableSecret(password)) ctx.addSecret(password);
    const archive = await chooseArchiveConnector({ ...input, password }, ctx);
    if (input.archives.length === 0) return { status: "SUCCESS", outputs: {} };
    if (!archive.extract_zip) {
      throw new StepError(`The archive connector of this step does not implement extract_zip`);
    }
    const destDir = await ctx.paths.resolve(input.dest_dir);
    await Deno.mkdir(destDir, { recursive: true });
    const srcDir = await ctx.paths.resolve(input.src_dir ?? ctx.artifactsDir);
    const unzipped: JsonObject[] = [];
    for (const raw of input.archives) {
      const path = await ctx.paths.resolve(raw);
      if (!(await _isFile(path))) continue;
      const target = unzipTarget(path, srcDir, destDir, input.private_zip_folder);
      const result = await archive.extract_zip({
        archive: path,
        dest_dir: target,
        password,
        overwrite: input.overwrite,
        members: input.members,
      });
      ctx.log.info(
        `unzip ${path} -> ${target} files=${result.files?.length ?? "?"} driver=${result.driver}`,
      );
      unzipped.push({ ...result, archive: path } as unknown as JsonObject);
    }
    return { status: "SUCCESS", outputs: { unzipped, dest_dir: destDir } };
  },
});
