/**
 * `archive:os`: the Info-ZIP `zip` and `unzip` programs (`config.zip_cmd`, `config.unzip_cmd`), ZipCrypto with a
 * password. File names go to `zip -@` on stdin (no argv length limit); extraction runs into a private staging
 * folder inside dest_dir, checked before anything is moved into place (docs/connectors.md "archive").
 * The password is on the programs' command line (`-P`), visible to local users in the process list.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { ArchiveConnector, ExtractZipResult } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";
import { ARCHIVE_OPTIONS, ArchiveError, passwordOf, writeViaTmp } from "./_archive_io.ts";
import { onPath, runProgram } from "./_archive_program.ts";
import { checkZipEntries, extractStaged } from "./_zip_extract.ts";
import { membersOf } from "./_zipjs_archive.ts";

/** unzip patterns: `*`, `?` and `[` in a member name are matched literally. */
function _literalPattern(name: string): string {
  return name.replace(/[*?[]/g, (c) => `[${c}]`);
}

async function _requireProgram(cmd: string): Promise<void> {
  if (!(await onPath(cmd))) throw new ArchiveError(`archive.os requires '${cmd}' on PATH`);
}

export const archiveOs = defineConnector({
  kind: "archive",
  driver: "os",
  origin: "builtin",
  config: fields.fixedMap({
    zip_cmd: fields.text({ default: "zip", nonEmpty: true }),
    unzip_cmd: fields.text({ default: "unzip", nonEmpty: true }),
    quiet: fields.bool({ default: true }),
  }),
  options: ARCHIVE_OPTIONS,
  create(resource, ctx): ArchiveConnector {
    const { zip_cmd: zipCmd, unzip_cmd: unzipCmd, quiet } = resource.config;
    const q = quiet ? ["-q"] : [];
    return {
      resource: resource.name,
      async create_zip(args) {
        await _requireProgram(zipCmd);
        const password = passwordOf(args.password);
        if (password !== null) ctx.addSecret?.(password);
        const members = membersOf(args.files, args.base_dir);
        if (members.some((m) => /[\r\n]/.test(m.name))) {
          throw new ArchiveError("archive.os cannot add a file whose name contains a line break");
        }
        await writeViaTmp(args.output, args.overwrite ?? true, async (tmp) => {
          await runProgram({
            label: "archive.os",
            argv: [zipCmd, ...q, "-r", tmp, ...(password !== null ? ["-P", password] : []), "-@"],
            cwd: args.base_dir,
            stdin: members.map((m) => `${m.name}\n`).join(""),
            signal: ctx.signal,
            password,
          });
        });
        return { output: args.output, count: members.length, password: password !== null, driver: "os" };
      },
      async extract_zip(args): Promise<ExtractZipResult> {
        await _requireProgram(unzipCmd);
        const password = passwordOf(args.password);
        if (password !== null) ctx.addSecret?.(password);
        const names = await checkZipEntries(args.archive);
        const members = args.members ?? null;
        for (const m of members ?? []) {
          if (!names.includes(m)) {
            throw new ArchiveError(`There is no item named '${m}' in the archive ${args.archive}`);
          }
        }
        const files = await extractStaged(
          args.archive,
          args.dest_dir,
          args.overwrite ?? true,
          (stage) =>
            runProgram({
              label: "archive.os",
              argv: [
                unzipCmd,
                ...q,
                "-o",
                ...(password !== null ? ["-P", password] : []),
                args.archive,
                ...(members ?? []).map(_literalPattern),
                "-d",
                stage,
              ],
              cwd: stage,
              signal: ctx.signal,
              password,
              okCodes: [0, 1], // 1 = warnings only; the result is checked anyway
              codeMessages: {
                82: password === null
                  ? `Zip archive ${args.archive} is encrypted: set inputs.password`
                  : `Wrong password for zip archive ${args.archive}`,
              },
            }).then(() => {}),
        );
        return { dest_dir: args.dest_dir, files, password: password !== null, driver: "os" };
      },
    };
  },
});
