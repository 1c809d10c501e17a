// Writing a zip with @zip.js/zip.js (loaded here, lazily): each file is streamed from disk, never held whole.
// Plain, WinZip AES (128/192/256) or ZipCrypto; member mtime and permission bits come from the file.
import { ArchiveError } from "./_archive_io.ts";

export interface ZipJsMember {
  /** Host path of a regular file. */
  path: string;
  /** Name inside the archive (`/` separated). */
  name: string;
}

export interface ZipJsWriteOptions {
  password: string | null;
  /** How a password encrypts: WinZip AES or the legacy ZipCrypto. */
  encryption: "aes" | "zipcrypto";
  /** zip.js `encryptionStrength`: 1 = AES-128, 2 = AES-192, 3 = AES-256. */
  aesStrength?: 1 | 2 | 3;
  /** Deflate level 0-9 (0 = stored). */
  level: number;
  signal: AbortSignal;
}

function _closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // already closed by its stream
  }
}

/** Write `members` into a new zip file at `target`. */
export async function writeZipJs(
  target: string,
  members: readonly ZipJsMember[],
  options: ZipJsWriteOptions,
): Promise<void> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const out = await Deno.open(target, { write: true, create: true, truncate: true });
  try {
    const encrypt = options.password === null
      ? {}
      : options.encryption === "zipcrypto"
      ? { password: options.password, zipCrypto: true }
      : { password: options.password, encryptionStrength: options.aesStrength ?? 3 };
    const writer = new zip.ZipWriter(out.writable, {
      level: options.level,
      keepOrder: true,
      signal: options.signal,
      ...encrypt,
    });
    for (const m of members) {
      options.signal.throwIfAborted();
      const src = await Deno.open(m.path, { read: true });
      try {
        const st = await src.stat();
        if (!st.isFile) throw new ArchiveError(`Not a regular file: ${m.path}`);
        await writer.add(m.name, { readable: src.readable }, {
          uncompressedSize: st.size,
          lastModDate: st.mtime ?? new Date(),
          ...(st.mode !== null ? { unixMode: 0o100000 | (st.mode & 0o777) } : {}),
        });
      } finally {
        _closeQuietly(src);
      }
    }
    await writer.close();
  } finally {
    _closeQuietly(out);
  }
}
