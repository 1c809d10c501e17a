// Shared by the sftp_* / smb_* steps (docs/steps.md "Remote files"): the two kinds they run over, the remote file
// entry they exchange, and the `files` input.
import { StepError } from "../../errors.ts";
import { fail, field, isMap, parseJsonish } from "../../inputs/mod.ts";
import type { FilesConnector, RemoteFileInfo } from "../../connectors/kinds/files.ts";
import type { JsonObject } from "../../types.ts";
import type { StepContext } from "../types.ts";

/** One of the two remote file kinds and its names. */
export interface FilesKind {
  kind: "sftp" | "smb";
  /** Step type prefix (`sftp` -> `sftp_list_files`). */
  prefix: "sftp" | "smb";
  /** Upstream class-name prefix kept in contract messages (`SFTPListFiles list failed: …`). */
  label: "SFTP" | "SMB";
}

export const SFTP_KIND: FilesKind = { kind: "sftp", prefix: "sftp", label: "SFTP" };
export const SMB_KIND: FilesKind = { kind: "smb", prefix: "smb", label: "SMB" };

/** A remote file entry as steps output it; keys in this order (docs/steps.md "Remote file entries"). */
export interface RemoteEntry extends JsonObject {
  rel_path: string;
  path: string;
  name: string;
  is_dir: boolean;
  size: number | null;
  mtime: number | null;
  sha256: string | null;
}

export function remoteEntry(info: RemoteFileInfo, relPath: string): RemoteEntry {
  return {
    rel_path: relPath,
    path: info.path,
    name: info.name,
    is_dir: info.is_dir,
    size: info.size ?? null,
    mtime: info.mtime ?? null,
    sha256: null,
  };
}

/** What steps taking `files` need of an entry. */
export interface FileRef {
  path: string;
  rel_path: string;
}

function _basename(path: string): string {
  return path.split(/[\\/]/).filter((p) => p !== "").at(-1) ?? path;
}

/**
 * The `files` input: a list (or its JSON text) of entries with `path` and `rel_path`; a plain string is a path
 * whose rel_path is its base name.
 */
export const FILES_INPUT = field((value, ctx): FileRef[] => {
  const v = parseJsonish(value);
  const list = v === null ? [] : Array.isArray(v) ? v : [v];
  const out: FileRef[] = [];
  for (const item of list) {
    if (typeof item === "string" && item !== "") {
      out.push({ path: item, rel_path: _basename(item) });
      continue;
    }
    if (!isMap(item) || typeof item.path !== "string" || item.path === "") {
      return fail(ctx, "must be a list of file entries (maps with path and rel_path) or paths");
    }
    const rel = typeof item.rel_path === "string" ? item.rel_path : _basename(item.path);
    out.push({ path: item.path, rel_path: rel });
  }
  return out;
}, { required: true });

export function filesConnector(kind: FilesKind, ctx: StepContext, resource: string): Promise<FilesConnector> {
  return kind.kind === "sftp" ? ctx.connectors.sftp(resource) : ctx.connectors.smb(resource);
}

/** Stop between files when the run is being terminated. */
export function checkAborted(ctx: StepContext): void {
  if (ctx.signal.aborted) throw new StepError("Step interrupted: the run is terminating");
}

/** Compare by code point, as Python sorts strings (JS `<` compares UTF-16 units). */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
