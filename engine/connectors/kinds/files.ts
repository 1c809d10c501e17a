/**
 * The `files` connector contract, shared by the `sftp` and `smb` kinds: remote listing and transfers for the
 * sftp_* / smb_* steps and bundle sources (see docs/connectors.md "files").
 * @module
 */
import { z } from "zod";
import type { Connector } from "../types.ts";
import { callChecked, type GenericCall, genericPart } from "./_adapt.ts";

/** One entry of a remote directory listing (no `rel_path`: the listing steps add it). */
export interface RemoteFileInfo {
  path: string;
  name: string;
  is_dir: boolean;
  /** Bytes, files only; null when unknown. */
  size: number | null;
  /** Epoch seconds as the server reports it; null when unknown. */
  mtime: number | null;
}

export interface FilesConnector extends Connector {
  list(args: { path: string }): Promise<RemoteFileInfo[]>;
  download(args: { remote: string; local: string }): Promise<void>;
  /** Creates missing parent directories on the remote side. */
  upload(args: { local: string; remote: string }): Promise<void>;
  delete(args: { path: string }): Promise<void>;
  read_bytes?(args: { path: string }): Promise<Uint8Array>;
  write_bytes?(args: { path: string; data: Uint8Array }): Promise<void>;
  mkdir?(args: { path: string }): Promise<void>;
  mkdir_recursive?(args: { path: string }): Promise<void>;
  delete_recursive?(args: { path: string }): Promise<void>;
}

export const FILES_METHODS = [
  "list",
  "download",
  "upload",
  "delete",
  "read_bytes",
  "write_bytes",
  "mkdir",
  "mkdir_recursive",
  "delete_recursive",
] as const;
export const FILES_REQUIRED = ["list", "download", "upload", "delete"] as const;

const _entry = z.object({
  path: z.string(),
  name: z.string(),
  is_dir: z.boolean(),
  size: z.number().nullable().default(null),
  mtime: z.number().nullable().default(null),
});
const _ok = z.unknown().transform(() => undefined);

function _b64encode(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function _b64decode(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A FilesConnector over a plugin's generic `call`; bytes cross the ABI as `{base64}`. */
export function filesFromCall(base: Connector & { call: GenericCall }): FilesConnector {
  const where = (method: string) => ({ resource: base.resource, method });
  const unit = (method: string) => (args: Record<string, unknown>) =>
    callChecked(base.call, where(method), args, _ok);
  return {
    ...genericPart(base),
    list: (args) => callChecked(base.call, where("list"), args, z.array(_entry)),
    download: unit("download"),
    upload: unit("upload"),
    delete: unit("delete"),
    read_bytes: async (args) =>
      _b64decode(
        (await callChecked(base.call, where("read_bytes"), args, z.object({ base64: z.string() })))
          .base64,
      ),
    write_bytes: (args) => unit("write_bytes")({ path: args.path, base64: _b64encode(args.data) }),
    mkdir: unit("mkdir"),
    mkdir_recursive: unit("mkdir_recursive"),
    delete_recursive: unit("delete_recursive"),
  };
}
