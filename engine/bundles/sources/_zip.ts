// .zip bundles through @zip.js/zip.js (loaded only when a zip source is synced): symbolic links and encrypted
// members are refused, the declared sizes are bounded before anything is inflated.
import { AetherflowError, EXIT } from "../../errors.ts";
import {
  type ArchiveMember,
  archiveTooLarge,
  MAX_ARCHIVE_BYTES,
  MAX_ARCHIVE_MEMBERS,
  safeMemberName,
  unsafeArchiveEntry,
} from "./_archive_entries.ts";

/** Every member of a zip file. */
export async function readZip(bytes: Uint8Array): Promise<ArchiveMember[]> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  try {
    let entries;
    try {
      entries = await reader.getEntries();
    } catch (err) {
      // zip.js refuses escaping names itself; report them like every other source does.
      const filename = (err as { filename?: unknown }).filename;
      if ((err as Error).message === zip.ERR_UNSAFE_FILENAME && typeof filename === "string") {
        safeMemberName(filename);
        throw unsafeArchiveEntry(filename);
      }
      throw new AetherflowError(`Invalid zip archive: ${(err as Error).message}`, {
        code: "bundle:archive",
        exitCode: EXIT.FAILED,
      });
    }
    if (entries.length > MAX_ARCHIVE_MEMBERS) throw archiveTooLarge();
    let declared = 0;
    for (const e of entries) {
      if (e.symlink) throw unsafeArchiveEntry(e.filename, "symbolic link");
      safeMemberName(e.filename);
      declared += e.uncompressedSize;
    }
    if (declared > MAX_ARCHIVE_BYTES) throw archiveTooLarge();
    const out: ArchiveMember[] = [];
    let total = 0;
    for (const e of entries) {
      const name = safeMemberName(e.filename);
      const mtime = e.lastModDate ? e.lastModDate.getTime() / 1000 : null;
      if (e.directory) {
        out.push({ name, kind: "dir", mtime });
        continue;
      }
      if (e.encrypted) throw unsafeArchiveEntry(e.filename, "encrypted member");
      const data = await e.getData!(new zip.Uint8ArrayWriter());
      total += data.length;
      // The declared size can lie; the inflated one cannot.
      if (total > MAX_ARCHIVE_BYTES || data.length > e.uncompressedSize) throw archiveTooLarge();
      out.push({ name, kind: "file", data, mtime });
    }
    return out;
  } finally {
    await reader.close();
  }
}
