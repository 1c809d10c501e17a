// What the archive readers hand back, and the safety rule every archive entry name must pass.
import { AetherflowError, EXIT } from "../../errors.ts";

/** A member of an archive: a regular file's bytes, or a directory (kept only for the safety check). */
export interface ArchiveMember {
  name: string;
  kind: "file" | "dir";
  data?: Uint8Array;
  /** Seconds since the epoch, when the archive records it. */
  mtime: number | null;
}

/** Upper bound on the bytes an archive may expand to (zip/gzip bombs) [ours]. */
export const MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024;
/** Upper bound on the number of members. */
export const MAX_ARCHIVE_MEMBERS = 200_000;

export function unsafeArchiveEntry(name: string, why?: string): AetherflowError {
  return new AetherflowError(`Unsafe archive entry: ${name}${why ? ` (${why})` : ""}`, {
    code: "bundle:unsafe_entry",
    exitCode: EXIT.FAILED,
  });
}

export function archiveTooLarge(): AetherflowError {
  return new AetherflowError(
    `Archive expands beyond ${MAX_ARCHIVE_BYTES} bytes or ${MAX_ARCHIVE_MEMBERS} members; refused`,
    { code: "bundle:archive_too_large", exitCode: EXIT.FAILED },
  );
}

/**
 * The member name as a clean relative path (`./a//b/` -> `a/b`), or a thrown `Unsafe archive entry` for an
 * absolute name, a drive letter, a `..` segment, a backslash or a NUL byte.
 */
export function safeMemberName(raw: string): string {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) throw unsafeArchiveEntry(raw, "absolute path");
  if (raw.includes("\\")) throw unsafeArchiveEntry(raw, "backslash");
  if (raw.includes("\u0000")) throw unsafeArchiveEntry(raw, "NUL byte");
  const segs = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segs.includes("..")) throw unsafeArchiveEntry(raw, "'..' segment");
  return segs.join("/");
}

/** Read a byte stream whole, refusing it once it passes `limit` bytes (`tooLarge` is thrown). */
export async function readCapped(
  stream: AsyncIterable<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
