// The archive connector shared by the zip.js drivers (`zipfile`, `pyzipper`, `pyminizip`): they differ only in
// how a password encrypts on create and whether extraction exists.
import type {
  ArchiveConnector,
  CreateZipArgs,
  CreateZipResult,
  ExtractZipArgs,
  ExtractZipResult,
} from "../kinds/mod.ts";
import type { ConnectorCreateContext } from "../types.ts";
import { ArchiveError, memberName, passwordOf, writeViaTmp } from "./_archive_io.ts";
import { extractZipJs } from "./_zip_extract.ts";
import { writeZipJs, type ZipJsMember } from "./_zipjs_write.ts";

/** How one driver creates and extracts. */
export interface ZipJsDriverSpec {
  driver: string;
  /**
   * What a password does on create: encrypt with AES or ZipCrypto, or refuse with `refuse` (the message). A
   * `required` message refuses a create without a password.
   */
  encryption: { kind: "aes"; strength: 1 | 2 | 3 } | { kind: "zipcrypto" } | { kind: "none"; refuse: string };
  passwordRequired?: string;
  /** Deflate level for `compression: deflated`; `fixedLevel` ignores `compression` altogether. */
  level?: number;
  fixedLevel?: number;
  /** Message when the driver cannot extract. */
  noExtract?: string;
}

/** Deflate for `deflated` (any case), stored for anything else. */
export function levelFor(compression: string | undefined, deflateLevel: number): number {
  return (compression ?? "deflated").trim().toLowerCase() === "deflated" ? deflateLevel : 0;
}

/** Members of `files` under `baseDir`, de-duplicated by name, in the given order. */
export function membersOf(files: readonly string[], baseDir: string): ZipJsMember[] {
  const seen = new Set<string>();
  const out: ZipJsMember[] = [];
  for (const path of files) {
    const name = memberName(path, baseDir);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ path, name });
  }
  return out;
}

/** An ArchiveConnector over zip.js. */
export function zipJsArchive(
  resource: string,
  spec: ZipJsDriverSpec,
  ctx: ConnectorCreateContext,
): ArchiveConnector {
  return {
    resource,
    async create_zip(args: CreateZipArgs): Promise<CreateZipResult> {
      const password = passwordOf(args.password);
      if (password !== null) ctx.addSecret?.(password);
      const enc = spec.encryption;
      if (password !== null && enc.kind === "none") throw new ArchiveError(enc.refuse);
      if (password === null && spec.passwordRequired) throw new ArchiveError(spec.passwordRequired);
      const members = membersOf(args.files, args.base_dir);
      const level = spec.fixedLevel ?? levelFor(args.compression, spec.level ?? 6);
      await writeViaTmp(args.output, args.overwrite ?? true, (tmp) =>
        writeZipJs(tmp, members, {
          password,
          encryption: enc.kind === "zipcrypto" ? "zipcrypto" : "aes",
          aesStrength: enc.kind === "aes" ? enc.strength : undefined,
          level,
          signal: ctx.signal,
        }));
      return { output: args.output, count: members.length, password: password !== null, driver: spec.driver };
    },
    async extract_zip(args: ExtractZipArgs): Promise<ExtractZipResult> {
      if (spec.noExtract) throw new ArchiveError(spec.noExtract);
      const password = passwordOf(args.password);
      if (password !== null) ctx.addSecret?.(password);
      const files = await extractZipJs({
        archive: args.archive,
        destDir: args.dest_dir,
        password,
        overwrite: args.overwrite ?? true,
        members: args.members ?? null,
        signal: ctx.signal,
      });
      return { dest_dir: args.dest_dir, files, password: password !== null, driver: spec.driver };
    },
  };
}
