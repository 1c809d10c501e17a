/**
 * `archive:external`: any archiver program (7z, bsdtar, zip…) given as argv templates `config.zip_cmd` and
 * `config.unzip_cmd`, whose tokens may hold `{archive}`, `{dest}`, `{password}`, `{base_dir}` and `{files}`;
 * a token that is exactly `{files}` becomes one argument per file (docs/connectors.md "archive"). Extraction
 * runs into a private staging folder inside dest_dir and is checked before anything is moved into place.
 * @module
 */
import { fail, field, fields } from "../../inputs/mod.ts";
import type { ArchiveConnector, ExtractZipResult } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";
import { ARCHIVE_OPTIONS, ArchiveError, passwordOf, writeViaTmp } from "./_archive_io.ts";
import { runProgram } from "./_archive_program.ts";
import { checkZipEntries, extractStaged } from "./_zip_extract.ts";
import { membersOf } from "./_zipjs_archive.ts";

const _PLACEHOLDER_REGEXP = /\{([A-Za-z_]*)\}/g;
const _ZIP_KEYS = ["archive", "dest", "password", "base_dir", "files"] as const;
const _UNZIP_KEYS = ["archive", "dest", "password"] as const;

/** A non-empty argv template whose placeholders are all in `keys`. */
function _argvTemplate(keys: readonly string[]) {
  return field((v, ctx): string[] | null => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((t) => typeof t === "string")) {
      return fail(ctx, "must be a non-empty list of strings");
    }
    for (const token of v as string[]) {
      for (const [, key] of token.matchAll(_PLACEHOLDER_REGEXP)) {
        if (!keys.includes(key!)) {
          return fail(
            ctx,
            `has an unknown placeholder {${key}}; use ${keys.map((k) => `{${k}}`).join(", ")}`,
          );
        }
      }
    }
    return v as string[];
  }, { required: false, fallback: null });
}

/** Fill the placeholders of every token; a token exactly `{files}` expands to one argument per file. */
export function fillArgv(
  template: readonly string[],
  values: Readonly<Record<string, string>>,
  files: string[],
) {
  const out: string[] = [];
  for (const token of template) {
    if (token === "{files}") out.push(...files);
    else out.push(token.replace(_PLACEHOLDER_REGEXP, (_, key: string) => values[key] ?? ""));
  }
  return out;
}

export const archiveExternal = defineConnector({
  kind: "archive",
  driver: "external",
  origin: "builtin",
  config: fields.fixedMap({ zip_cmd: _argvTemplate(_ZIP_KEYS), unzip_cmd: _argvTemplate(_UNZIP_KEYS) }),
  options: ARCHIVE_OPTIONS,
  create(resource, ctx): ArchiveConnector {
    const { zip_cmd: zipCmd, unzip_cmd: unzipCmd } = resource.config;
    return {
      resource: resource.name,
      async create_zip(args) {
        if (zipCmd === null) throw new ArchiveError("archive.external requires config.zip_cmd (list[str])");
        const password = passwordOf(args.password);
        if (password !== null) ctx.addSecret?.(password);
        const members = membersOf(args.files, args.base_dir);
        const names = members.map((m) => m.name);
        await writeViaTmp(args.output, args.overwrite ?? true, async (tmp) => {
          const values = {
            archive: tmp,
            dest: "",
            password: password ?? "",
            base_dir: args.base_dir,
            files: names.join(" "),
          };
          await runProgram({
            label: "archive.external",
            argv: fillArgv(zipCmd, values, names),
            cwd: args.base_dir,
            signal: ctx.signal,
            password,
          });
          try {
            await Deno.stat(tmp);
          } catch {
            throw new ArchiveError(`archive.external: zip_cmd did not write {archive} (${tmp})`);
          }
        });
        return {
          output: args.output,
          count: members.length,
          password: password !== null,
          driver: "external",
        };
      },
      async extract_zip(args): Promise<ExtractZipResult> {
        if (unzipCmd === null) {
          throw new ArchiveError("archive.external requires config.unzip_cmd (list[str])");
        }
        if ((args.members ?? null) !== null) {
          throw new ArchiveError("archive.external currently does not support 'members' extraction");
        }
        const password = passwordOf(args.password);
        if (password !== null) ctx.addSecret?.(password);
        // A zip is checked up front; other formats (7z, tar) rely on the staging check alone.
        await checkZipEntries(args.archive).catch((err) => {
          if (err instanceof ArchiveError && err.code === "connector:archive_unsafe_entry") throw err;
        });
        const files = await extractStaged(
          args.archive,
          args.dest_dir,
          args.overwrite ?? true,
          (stage) =>
            runProgram({
              label: "archive.external",
              argv: fillArgv(unzipCmd, { archive: args.archive, dest: stage, password: password ?? "" }, []),
              cwd: stage,
              signal: ctx.signal,
              password,
            }).then(() => {}),
        );
        return { dest_dir: args.dest_dir, files, password: password !== null, driver: "external" };
      },
    };
  },
});
