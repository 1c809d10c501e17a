// `sftp_list_files` / `smb_list_files`: list a remote directory (optionally recursive), keep the names matching
// an fnmatch pattern, SKIPPED below min_count (docs/steps.md "sftp_list_files / smb_list_files").
import { errorMessage, StepError } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import type { FilesConnector, RemoteFileInfo } from "../../connectors/kinds/files.ts";
import { fnmatch } from "../../fnmatch.ts";
import { defineStep, type StepContext, type StepResult } from "../types.ts";
import {
  byCodePoint,
  checkAborted,
  filesConnector,
  type FilesKind,
  type RemoteEntry,
  remoteEntry,
  SFTP_KIND,
  SMB_KIND,
} from "./_remote.ts";

/** `remote_dir` as the walk starts from it: trailing separators stripped, "" -> "/". */
export function walkRoot(kind: FilesKind, remoteDir: string): string {
  const stripped = remoteDir.replace(kind.kind === "smb" ? /[\\/]+$/ : /\/+$/, "");
  return stripped === "" ? "/" : stripped;
}

/**
 * The rel_path of an entry found under `parents` (names of the directories walked below the root): SMB joins
 * names; SFTP takes the entry path minus `<root>/` (for `/`, minus the leading `/`), falling back to the names
 * when a connector reports paths under another prefix.
 */
export function relPathOf(kind: FilesKind, root: string, parents: string[], info: RemoteFileInfo): string {
  const byNames = [...parents, info.name].join("/");
  if (kind.kind === "smb") return byNames;
  const prefix = root === "/" ? "/" : `${root}/`;
  return info.path.startsWith(prefix) ? info.path.slice(prefix.length) : byNames;
}

async function _walk(
  kind: FilesKind,
  conn: FilesConnector,
  root: string,
  options: { pattern: string; recursive: boolean },
  ctx: StepContext,
): Promise<RemoteEntry[]> {
  const out: RemoteEntry[] = [];
  const queue: { dir: string; parents: string[] }[] = [{ dir: root, parents: [] }];
  while (queue.length > 0) {
    checkAborted(ctx);
    const { dir, parents } = queue.shift()!;
    for (const info of await conn.list({ path: dir })) {
      if (info.name === "" || info.name === "." || info.name === "..") continue;
      if (options.recursive && info.is_dir) {
        queue.push({ dir: info.path, parents: [...parents, info.name] });
        continue;
      }
      if (fnmatch(info.name, options.pattern)) {
        out.push(remoteEntry(info, relPathOf(kind, root, parents, info)));
      }
    }
  }
  return out.sort((a, b) => byCodePoint(a.rel_path, b.rel_path));
}

function listFilesStep(kind: FilesKind) {
  return defineStep({
    type: `${kind.prefix}_list_files`,
    origin: "builtin",
    inputs: fields.fixedMap({
      resource: fields.text({ nonEmpty: true }),
      remote_dir: fields.text({ scalars: true }),
      pattern: fields.text({ default: "*", scalars: true }),
      recursive: fields.bool({ default: false }),
      min_count: fields.int({ default: 1 }),
    }),
    connector: { input: "resource", kinds: [kind.kind], methods: ["list"] },
    async run(input, ctx): Promise<StepResult> {
      const conn = await filesConnector(kind, ctx, input.resource);
      const root = walkRoot(kind, input.remote_dir);
      let files: RemoteEntry[];
      try {
        files = await _walk(kind, conn, root, input, ctx);
      } catch (err) {
        const what = kind.kind === "sftp" ? `${input.remote_dir} ${input.recursive} ` : "";
        throw new StepError(`${kind.label}ListFiles list failed: ${what}${errorMessage(err)}`, {
          cause: err,
        });
      }
      const count = files.length;
      if (count < input.min_count) {
        return {
          status: "SKIPPED",
          outputs: { has_data: false, count, files: [] },
          reason: `count(${count}) < min_count(${input.min_count})`,
        };
      }
      return { status: "SUCCESS", outputs: { has_data: true, count, files } };
    },
  });
}

export const sftpListFiles = listFilesStep(SFTP_KIND);
export const smbListFiles = listFilesStep(SMB_KIND);
