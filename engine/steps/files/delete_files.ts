// `sftp_delete_files` / `smb_delete_files`: delete remote entries one by one; earlier deletes stay done when one
// fails (docs/steps.md "sftp_delete_files / smb_delete_files").
import { fields } from "../../inputs/mod.ts";
import { defineStep, type StepResult } from "../types.ts";
import { checkAborted, FILES_INPUT, filesConnector, type FilesKind, SFTP_KIND, SMB_KIND } from "./_remote.ts";

function deleteFilesStep(kind: FilesKind) {
  return defineStep({
    type: `${kind.prefix}_delete_files`,
    origin: "builtin",
    inputs: fields.fixedMap({
      resource: fields.text({ nonEmpty: true }),
      files: FILES_INPUT,
    }),
    connector: { input: "resource", kinds: [kind.kind], methods: ["delete"] },
    async run(input, ctx): Promise<StepResult> {
      const conn = input.files.length > 0 ? await filesConnector(kind, ctx, input.resource) : null;
      for (const file of input.files) {
        checkAborted(ctx);
        await conn!.delete({ path: file.path });
      }
      return { status: "SUCCESS", outputs: { is_deleted: true } };
    },
  });
}

export const sftpDeleteFiles = deleteFilesStep(SFTP_KIND);
export const smbDeleteFiles = deleteFilesStep(SMB_KIND);
