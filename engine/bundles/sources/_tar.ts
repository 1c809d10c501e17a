// A small, strict reader for .tar.gz bundles: regular files and directories only (links, devices and FIFOs are
// refused), GNU long names and pax `path` records understood, sizes bounded before anything is buffered.
import {
  type ArchiveMember,
  archiveTooLarge,
  MAX_ARCHIVE_BYTES,
  MAX_ARCHIVE_MEMBERS,
  readCapped,
  safeMemberName,
  unsafeArchiveEntry,
} from "./_archive_entries.ts";
import { AetherflowError, EXIT } from "../../errors.ts";

const _BLOCK = 512;

/** Gunzip with a size cap (the stream is cut as soon as it exceeds the cap). */
export async function gunzip(bytes: Uint8Array, limit = MAX_ARCHIVE_BYTES): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  try {
    return await readCapped(stream, limit, archiveTooLarge);
  } catch (err) {
    if (err instanceof AetherflowError) throw err;
    throw _corrupt(`not a valid gzip stream: ${(err as Error).message}`);
  }
}

function _corrupt(why: string): AetherflowError {
  return new AetherflowError(`Invalid tar.gz archive: ${why}`, {
    code: "bundle:archive",
    exitCode: EXIT.FAILED,
  });
}

function _text(block: Uint8Array, from: number, len: number): string {
  const slice = block.subarray(from, from + len);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? slice : slice.subarray(0, nul));
}

function _octal(block: Uint8Array, from: number, len: number): number {
  // GNU base-256 for huge sizes: refused (no bundle member needs 8 GiB).
  if ((block[from]! & 0x80) !== 0) throw archiveTooLarge();
  const t = _text(block, from, len).trim();
  if (t === "") return 0;
  if (!/^[0-7]+$/.test(t)) throw _corrupt(`bad octal field ${JSON.stringify(t)}`);
  return parseInt(t, 8);
}

function _checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < _BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === _octal(block, 148, 8);
}

/** pax records `len key=value\n`; only `path` matters here. */
function _paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let path: string | undefined;
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(" ", i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0 && rec.slice(0, eq) === "path") path = rec.slice(eq + 1);
    i += len;
  }
  return path;
}

/** Every member of a tar stream. */
export function readTar(tar: Uint8Array): ArchiveMember[] {
  const out: ArchiveMember[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + _BLOCK <= tar.length) {
    const h = tar.subarray(off, off + _BLOCK);
    if (h.every((b) => b === 0)) break; // end of archive
    if (!_checksumOk(h)) throw _corrupt(`bad header checksum at offset ${off}`);
    const size = _octal(h, 124, 12);
    const type = String.fromCharCode(h[156]!);
    const dataStart = off + _BLOCK;
    if (dataStart + size > tar.length) throw _corrupt("truncated member");
    const data = tar.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / _BLOCK) * _BLOCK;
    if (type === "L") {
      longName = _text(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      longName = _paxPath(data) ?? longName;
      continue;
    }
    if (type === "g") continue;
    const prefix = _text(h, 345, 155);
    const raw = longName ??
      (prefix !== "" && _text(h, 257, 6) === "ustar" ? `${prefix}/${_text(h, 0, 100)}` : _text(h, 0, 100));
    longName = undefined;
    if (out.length >= MAX_ARCHIVE_MEMBERS) throw archiveTooLarge();
    const mtime = _octal(h, 136, 12) || null;
    if (type === "5") {
      out.push({ name: safeMemberName(raw), kind: "dir", mtime });
    } else if (type === "0" || type === "\0" || type === "7") {
      out.push({ name: safeMemberName(raw), kind: "file", data, mtime });
    } else if (type === "1" || type === "2") {
      throw unsafeArchiveEntry(raw, type === "2" ? "symbolic link" : "hard link");
    } else {
      throw unsafeArchiveEntry(raw, "not a regular file or directory");
    }
  }
  return out;
}
