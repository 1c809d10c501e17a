/**
 * The `archive` connector kind: zip creation and extraction for the zip/unzip steps (see docs/connectors.md
 * "archive"). Archive member names are paths relative to `base_dir` with `/`; extraction refuses members that
 * would escape `dest_dir`.
 * @module
 */
import { z } from "zod";
import type { Connector } from "../types.ts";
import { callChecked, type GenericCall, genericPart } from "./_adapt.ts";

export interface CreateZipArgs {
  output: string;
  files: string[];
  base_dir: string;
  password?: string | null;
  compression?: string;
  overwrite?: boolean;
}

export interface ExtractZipArgs {
  archive: string;
  dest_dir: string;
  password?: string | null;
  overwrite?: boolean;
  members?: string[] | null;
}

export interface CreateZipResult {
  output: string;
  count: number;
  password: boolean;
  driver: string;
}

export interface ExtractZipResult {
  dest_dir: string;
  files?: string[];
  password: boolean;
  driver: string;
}

export interface ArchiveConnector extends Connector {
  create_zip(args: CreateZipArgs): Promise<CreateZipResult>;
  extract_zip?(args: ExtractZipArgs): Promise<ExtractZipResult>;
}

export const ARCHIVE_METHODS = ["create_zip", "extract_zip"] as const;
export const ARCHIVE_REQUIRED = ["create_zip"] as const;

const _created = z.object({
  output: z.string(),
  count: z.number(),
  password: z.boolean(),
  driver: z.string(),
});
const _extracted = z.object({
  dest_dir: z.string(),
  files: z.array(z.string()).optional(),
  password: z.boolean(),
  driver: z.string(),
});

/** An ArchiveConnector over a plugin's generic `call`. */
export function archiveFromCall(base: Connector & { call: GenericCall }): ArchiveConnector {
  const where = (method: string) => ({ resource: base.resource, method });
  return {
    ...genericPart(base),
    create_zip: (args) => callChecked(base.call, where("create_zip"), { ...args }, _created),
    extract_zip: (args) => callChecked(base.call, where("extract_zip"), { ...args }, _extracted),
  };
}
