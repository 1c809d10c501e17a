// Safe zip extraction (docs/connectors.md "archive", "Zip-slip"). Every entry is checked before anything is
// written: an absolute name, a drive letter, a `..` segment, a NUL byte or a symbolic-link entry refuses the
// whole archive, and so does a destination that would pass through a symbolic link already in dest_dir. Files
// are written as `<name>.<random>.part` and renamed, so a wrong password or a broken entry leaves no half file.
// Program-based drivers extract into a private staging folder that is checked the same way (`placeStaged`).
import { openAsBlob } from "node:fs";
import { dirname, join, sep } from "node:path";
import { errorMessage } from "../../errors.ts";
import { ArchiveError } from "./_archive_io.ts";

type _ZipModule = typeof import("@zip.js/zip.js");
type _Entry = Awaited<ReturnType<InstanceType<_ZipModule["ZipReader"]>["getEntries"]>>[number];

const _S_IFMT = 0o170000;
const _S_IFLNK = 0o120000;

/** Why a member name is unsafe, or null. Separators `/` and `\` both count (Windows-made archives). */
export function unsafeNameReason(name: string): string | null {
  if (name.includes("\u0000")) return "NUL byte in the name";
  if (name.startsWith("/") || name.startsWith("\\")) return "absolute path";
  if (/^[A-Za-z]:/.test(name)) return "drive letter";
  if (name.split(/[/\\]/).includes("..")) return "'..' segment escapes dest_dir";
  return null;
}

/** The name's path segments (`./a//b/` -> `[a, b]`). */
function _segments(name: string): string[] {
  return name.split("/").filter((s) => s !== "" && s !== ".");
}

function _unsafe(archive: string, name: string, why: string): ArchiveError {
  return new ArchiveError(`Unsafe zip entry '${name}' in ${archive}: ${why}; nothing was extracted`, {
    code: "connector:archive_unsafe_entry",
  });
}

function _isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** realpath of the deepest existing ancestor of `path` (itself included). */
async function _deepestReal(path: string): Promise<string> {
  for (let p = path;; p = dirname(p)) {
    try {
      return await Deno.realPath(p);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || dirname(p) === p) throw err;
    }
  }
}

async function _lstat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Check that `rel` (clean segments) lands inside `destReal`: the deepest existing ancestor must resolve inside it
 * and an existing target must not be a symbolic link. Returns the target path.
 */
async function _checkTarget(
  archive: string,
  name: string,
  destReal: string,
  segs: readonly string[],
): Promise<string> {
  const target = join(destReal, ...segs);
  if (!_isInside(target, destReal)) throw _unsafe(archive, name, "escapes dest_dir");
  const info = await _lstat(target);
  if (info?.isSymlink) throw _unsafe(archive, name, "dest_dir already holds a symbolic link at its path");
  const real = await _deepestReal(info ? target : dirname(target));
  if (!_isInside(real, destReal)) {
    throw _unsafe(archive, name, "its path in dest_dir goes through a symbolic link");
  }
  return target;
}

function _isSymlinkEntry(e: _Entry): boolean {
  const mode = e.unixMode ?? (e.externalFileAttributes >>> 16);
  return e.symlink || (mode & _S_IFMT) === _S_IFLNK;
}

async function _loadZip(): Promise<_ZipModule> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  return zip;
}

/** Map a zip.js failure to a message naming the archive (never the password). */
function _readError(archive: string, err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const msg = errorMessage(err);
  if (/invalid password/i.test(msg)) {
    return new ArchiveError(`Wrong password for zip archive ${archive}`, {
      code: "connector:archive_password",
    });
  }
  if (/encrypted/i.test(msg) && /password/i.test(msg) === false) {
    return new ArchiveError(`Zip archive ${archive} is encrypted: set inputs.password`, {
      code: "connector:archive_password",
    });
  }
  return new ArchiveError(`Cannot read zip archive ${archive}: ${msg}`, { cause: err });
}

interface _Planned {
  entry: _Entry;
  name: string;
  segs: string[];
}

/** Every entry, checked; `members` narrows what is returned (unknown names are errors). */
function _plan(
  archive: string,
  entries: readonly _Entry[],
  members: readonly string[] | null,
): _Planned[] {
  for (const e of entries) {
    const why = unsafeNameReason(e.filename) ?? (_isSymlinkEntry(e) ? "symbolic link entry" : null);
    if (why !== null) throw _unsafe(archive, e.filename, why);
  }
  let chosen = entries;
  if (members !== null) {
    const byName = new Map(entries.map((e) => [e.filename, e]));
    chosen = members.map((m) => {
      const e = byName.get(m);
      if (!e) throw new ArchiveError(`There is no item named '${m}' in the archive ${archive}`);
      return e;
    });
  }
  return chosen.map((entry) => ({ entry, name: entry.filename, segs: _segments(entry.filename) }))
    .filter((p) => p.segs.length > 0);
}

/** The names of a zip's entries after the safety check (used before a program extracts it). */
export async function checkZipEntries(archive: string): Promise<string[]> {
  const zip = await _loadZip();
  const reader = new zip.ZipReader(new zip.BlobReader(await openAsBlob(archive)), {
    filenameValidation: "tolerant",
  });
  try {
    const entries = await reader.getEntries();
    return _plan(archive, entries, null).map((p) => p.name);
  } catch (err) {
    throw _readError(archive, err);
  } finally {
    await reader.close().catch(() => {});
  }
}

function _partName(target: string): string {
  return `${target}.${crypto.randomUUID().slice(0, 8)}.part`;
}

async function _removeQuietly(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/** File mode to restore: the permission bits only, owner read/write always kept. */
function _fileMode(e: _Entry): number | null {
  const mode = e.unixMode;
  return typeof mode === "number" && mode > 0 ? (mode & 0o777) | 0o600 : null;
}

export interface ExtractOptions {
  archive: string;
  destDir: string;
  password: string | null;
  overwrite: boolean;
  members: readonly string[] | null;
  signal: AbortSignal;
}

/** Entries up to this size (as the central directory declares it) are inflated in memory, then written. */
const _IN_MEMORY_MAX = 4 * 1024 * 1024;
const _NATIVE_INFLATE_MIN = 64 * 1024;

/**
 * A WritableStream collecting at most `declared` bytes: more than the central directory declared is a corrupt (or
 * hostile) entry and fails the extraction instead of growing the buffer.
 */
function _boundedSink(declared: number): { writable: WritableStream<Uint8Array>; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  return {
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        total += chunk.length;
        if (total > declared) throw new Error(`entry data exceeds its declared size of ${declared} bytes`);
        chunks.push(chunk);
      },
    }),
    bytes() {
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) (out.set(c, at), at += c.length);
      return out;
    },
  };
}

/** Extract with zip.js. Returns the files written (absolute paths, archive order). */
export async function extractZipJs(options: ExtractOptions): Promise<string[]> {
  const { archive } = options;
  const zip = await _loadZip();
  await Deno.mkdir(options.destDir, { recursive: true });
  const destReal = await Deno.realPath(options.destDir);
  const reader = new zip.ZipReader(new zip.BlobReader(await openAsBlob(archive)), {
    filenameValidation: "tolerant",
  });
  const written: string[] = [];
  try {
    const plan = _plan(archive, await reader.getEntries(), options.members);
    for (const p of plan) await _checkTarget(archive, p.name, destReal, p.segs);
    // Parent directories this extraction made or checked (inside dest_dir, no link on the way): their entries
    // need only the target's own lstat.
    const checkedDirs = new Set<string>();
    for (const p of plan) {
      options.signal.throwIfAborted();
      const parentChecked = checkedDirs.has(dirname(join(destReal, ...p.segs)));
      const target = parentChecked
        ? join(destReal, ...p.segs)
        : await _checkTarget(archive, p.name, destReal, p.segs);
      if (p.entry.directory) {
        await Deno.mkdir(target, { recursive: true });
        continue;
      }
      const existing = await _lstat(target);
      if (existing?.isSymlink) {
        throw _unsafe(archive, p.name, "dest_dir already holds a symbolic link at its path");
      }
      if (existing?.isDirectory) {
        throw new ArchiveError(`Cannot extract '${p.name}': ${target} is a directory`);
      }
      if (existing && !options.overwrite) continue;
      if (!parentChecked) {
        await Deno.mkdir(dirname(target), { recursive: true });
        await _checkTarget(archive, p.name, destReal, p.segs); // the parents just made are real directories
        checkedDirs.add(dirname(target));
      }
      const part = _partName(target);
      const read = {
        password: options.password ?? undefined,
        checkSignature: true,
        signal: options.signal,
        // Below this size zip.js's own inflate is cheaper than setting up a native DecompressionStream.
        useCompressionStream: p.entry.uncompressedSize > _NATIVE_INFLATE_MIN,
      };
      if (p.entry.uncompressedSize <= _IN_MEMORY_MAX) {
        // Small entries: inflate into memory and write once (a file stream per entry costs more than the data).
        const sink = _boundedSink(p.entry.uncompressedSize);
        await p.entry.getData!(sink.writable, read);
        await Deno.writeFile(part, sink.bytes(), { createNew: true });
      } else {
        const out = await Deno.open(part, { write: true, createNew: true });
        try {
          await p.entry.getData!(out.writable, read);
        } catch (err) {
          try {
            out.close();
          } catch { /* closed by the stream */ }
          await _removeQuietly(part);
          throw err;
        }
      }
      const mode = _fileMode(p.entry);
      if (mode !== null) await Deno.chmod(part, mode);
      if (p.entry.lastModDate) await Deno.utime(part, new Date(), p.entry.lastModDate);
      await Deno.rename(part, target);
      written.push(target);
    }
    return written;
  } catch (err) {
    throw _readError(archive, err);
  } finally {
    await reader.close().catch(() => {});
  }
}

type _Kind = "dir" | "file" | "symlink" | "other";

/** Every path below `dir` (lstat: links are not followed), parents before children, sorted. */
async function _walk(dir: string, rel: string[], out: { rel: string[]; kind: _Kind }[]): Promise<void> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  names.sort();
  for (const name of names) {
    const info = await Deno.lstat(join(dir, name));
    const here = [...rel, name];
    const kind: _Kind = info.isSymlink
      ? "symlink"
      : info.isDirectory
      ? "dir"
      : info.isFile
      ? "file"
      : "other";
    out.push({ rel: here, kind });
    if (kind === "dir") await _walk(join(dir, name), here, out);
  }
}

/**
 * Move what a program extracted into `stage` (a private folder inside dest_dir) to `destDir`: symbolic links and
 * special files refuse the whole result (nothing is moved), and every target is checked like zip.js entries.
 * `overwrite: false` keeps existing files. Returns the files placed.
 */
async function _placeStaged(
  archive: string,
  stage: string,
  destDir: string,
  overwrite: boolean,
): Promise<string[]> {
  const destReal = await Deno.realPath(destDir);
  const found: { rel: string[]; kind: _Kind }[] = [];
  await _walk(stage, [], found);
  for (const f of found) {
    const name = f.rel.join("/");
    if (f.kind === "symlink") throw _unsafe(archive, name, "symbolic link entry");
    if (f.kind === "other") throw _unsafe(archive, name, "not a regular file");
    await _checkTarget(archive, name, destReal, f.rel);
  }
  const placed: string[] = [];
  for (const f of found) {
    const target = join(destReal, ...f.rel);
    if (f.kind === "dir") {
      await Deno.mkdir(target, { recursive: true });
      continue;
    }
    const existing = await _lstat(target);
    if (existing?.isDirectory) {
      throw new ArchiveError(`Cannot extract '${f.rel.join("/")}': ${target} is a directory`);
    }
    if (existing && !overwrite) continue;
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.rename(join(stage, ...f.rel), target);
    placed.push(target);
  }
  return placed;
}

/** Extract into a fresh staging folder inside `destDir`, then move the checked result into place. */
export async function extractStaged(
  archive: string,
  destDir: string,
  overwrite: boolean,
  extract: (stage: string) => Promise<void>,
): Promise<string[]> {
  await Deno.mkdir(destDir, { recursive: true });
  const stage = await Deno.makeTempDir({ dir: destDir, prefix: ".aetherflow-unzip-" });
  try {
    await extract(stage);
    return await _placeStaged(archive, stage, destDir, overwrite);
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}
