// `sftp_download_files` / `smb_download_files`: download listed entries under dest_dir keeping their rel_path
// (docs/steps.md "sftp_download_files / smb_download_files").
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { StepError } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import { defineStep, type StepResult } from "../types.ts";
import { checkAborted, FILES_INPUT, filesConnector, type FilesKind, SFTP_KIND, SMB_KIND } from "./_remote.ts";

/** The local target of `relPath` under `destDir`, or null when it would leave it. */
export function downloadTarget(destDir: string, relPath: string): string | null {
  const rel = relPath.replace(/^[\\/]+/, "");
  const target = resolve(destDir, rel);
  const back = relative(destDir, target);
  if (back === "" || back === ".." || back.startsWith(`..${sep}`) || isAbsolute(back)) return null;
  return target;
}

function downloadFilesStep(kind: FilesKind) {
  return defineStep({
    type: `${kind.prefix}_download_files`,
    origin: "builtin",
    inputs: fields.fixedMap({
      resource: fields.text({ nonEmpty: true }),
      files: FILES_INPUT,
      dest_dir: fields.path(),
    }),
    connector: { input: "resource", kinds: [kind.kind], methods: ["download"] },
    async run(input, ctx): Promise<StepResult> {
      // Not sandboxed [verified upstream]: relative to the artifacts dir, an absolute dest_dir as is.
      const destDir = resolve(
        isAbsolute(input.dest_dir) ? input.dest_dir : join(ctx.artifactsDir, input.dest_dir),
      );
      await Deno.mkdir(destDir, { recursive: true });
      const conn = input.files.length > 0 ? await filesConnector(kind, ctx, input.resource) : null;
      const localFiles: string[] = [];
      for (const file of input.files) {
        checkAborted(ctx);
        const target = downloadTarget(destDir, file.rel_path);
        if (target === null) throw new StepError(`dest path escapes dest_dir: ${file.rel_path}`);
        await Deno.mkdir(join(target, ".."), { recursive: true });
        await conn!.download({ remote: file.path, local: target });
        localFiles.push(target);
      }
      return { status: "SUCCESS", outputs: { local_files: localFiles, dest_dir: destDir } };
    },
  });
}

export const sftpDownloadFiles = downloadFilesStep(SFTP_KIND);
export const smbDownloadFiles = downloadFilesStep(SMB_KIND);
