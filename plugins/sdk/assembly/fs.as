// Files for AssemblyScript plugins, over WASI preview 1: the directories the operator granted (the job's
// artifacts at /artifacts with `files: artifacts`, and each `grants.dirs` entry at its guest path). Paths are
// absolute guest paths ("/artifacts/out/a.csv"); a path outside every granted directory fails with ENOTCAPABLE.
// Functions return null/false on failure and leave the reason in `fsError()`.

@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, buf: usize): u16;
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, len: u32): u16;
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(
  dirfd: u32,
  dirflags: u32,
  path: usize,
  pathLen: u32,
  oflags: u16,
  rightsBase: u64,
  rightsInheriting: u64,
  fdflags: u16,
  fdOut: usize,
): u16;
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u16;
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u16;
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16;
@external("wasi_snapshot_preview1", "fd_readdir")
declare function fd_readdir(fd: u32, buf: usize, bufLen: u32, cookie: u64, bufUsed: usize): u16;
@external("wasi_snapshot_preview1", "path_create_directory")
declare function path_create_directory(fd: u32, path: usize, pathLen: u32): u16;
@external("wasi_snapshot_preview1", "path_filestat_get")
declare function path_filestat_get(fd: u32, flags: u32, path: usize, pathLen: u32, buf: usize): u16;
@external("wasi_snapshot_preview1", "path_unlink_file")
declare function path_unlink_file(fd: u32, path: usize, pathLen: u32): u16;
@external("wasi_snapshot_preview1", "path_remove_directory")
declare function path_remove_directory(fd: u32, path: usize, pathLen: u32): u16;
@external("wasi_snapshot_preview1", "path_rename")
declare function path_rename(fd: u32, old: usize, oldLen: u32, newFd: u32, neu: usize, newLen: u32): u16;

const _ALL_RIGHTS: u64 = 0x1fffffff;
const _O_CREAT: u16 = 1;
const _O_DIRECTORY: u16 = 2;
const _O_TRUNC: u16 = 8;
const _LOOKUP_FOLLOW: u32 = 1;
const _FILETYPE_DIR: u8 = 3;
const _FILETYPE_FILE: u8 = 4;
const _EEXIST: u16 = 20;
const _ENOENT: u16 = 44;
const _CHUNK: i32 = 65536;

let _error = "";
let _preopenNames: string[] = [];
let _preopenFds: u32[] = [];
let _scanned = false;

/** Why the last failing fs call failed. */
export function fsError(): string {
  return _error;
}

function _errno(code: u16, what: string, path: string): void {
  let name = "errno " + code.toString();
  if (code == 2) name = "permission denied (EACCES)";
  else if (code == 8) name = "bad file descriptor (EBADF)";
  else if (code == _EEXIST) name = "already exists (EEXIST)";
  else if (code == 31) name = "is a directory (EISDIR)";
  else if (code == _ENOENT) name = "no such file or directory (ENOENT)";
  else if (code == 54) name = "not a directory (ENOTDIR)";
  else if (code == 55) name = "directory not empty (ENOTEMPTY)";
  else if (code == 63) name = "not permitted (EPERM)";
  else if (code == 76) name = "not under a granted directory (ENOTCAPABLE)";
  _error = what + " " + path + ": " + name;
}

function _scan(): void {
  if (_scanned) return;
  _scanned = true;
  const buf = new ArrayBuffer(8);
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, changetype<usize>(buf)) != 0) break;
    const len = load<u32>(changetype<usize>(buf) + 4);
    const name = new ArrayBuffer(<i32>len);
    if (fd_prestat_dir_name(fd, changetype<usize>(name), len) != 0) continue;
    let text = String.UTF8.decode(name);
    while (text.length > 1 && text.endsWith("/")) text = text.substring(0, text.length - 1);
    _preopenNames.push(text);
    _preopenFds.push(fd);
  }
}

/** The guest directories this call may reach (the WASI preopens). */
export function grantedDirs(): string[] {
  _scan();
  return _preopenNames.slice(0);
}

class _Resolved {
  fd: u32 = 0;
  rel: string = ".";
  ok: bool = false;
}

// The preopen holding `path` (longest match) and the path relative to it.
function _resolve(path: string, what: string): _Resolved {
  _scan();
  const r = new _Resolved();
  let best = -1;
  for (let i = 0; i < _preopenNames.length; i++) {
    const root = _preopenNames[i];
    const inside = path == root || root == "/" || path.startsWith(root + "/");
    if (inside && (best < 0 || root.length > _preopenNames[best].length)) best = i;
  }
  if (best < 0) {
    _errno(76, what, path);
    return r;
  }
  const root = _preopenNames[best];
  let rel = path.length > root.length ? path.substring(root == "/" ? 1 : root.length + 1) : ".";
  while (rel.endsWith("/") && rel.length > 1) rel = rel.substring(0, rel.length - 1);
  r.fd = _preopenFds[best];
  r.rel = rel.length == 0 ? "." : rel;
  r.ok = true;
  return r;
}

function _open(path: string, oflags: u16, what: string): i64 {
  const r = _resolve(path, what);
  if (!r.ok) return -1;
  const p = String.UTF8.encode(r.rel);
  const out = new ArrayBuffer(4);
  const code = path_open(
    r.fd,
    _LOOKUP_FOLLOW,
    changetype<usize>(p),
    <u32>p.byteLength,
    oflags,
    _ALL_RIGHTS,
    _ALL_RIGHTS,
    0,
    changetype<usize>(out),
  );
  if (code != 0) {
    _errno(code, what, path);
    return -1;
  }
  return <i64>load<u32>(changetype<usize>(out));
}

/** The bytes of a file, or null. */
export function readFile(path: string): Uint8Array | null {
  const fd = _open(path, 0, "read");
  if (fd < 0) return null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iov = new ArrayBuffer(8);
  const n = new ArrayBuffer(4);
  while (true) {
    const chunk = new Uint8Array(_CHUNK);
    store<u32>(changetype<usize>(iov), <u32>chunk.dataStart);
    store<u32>(changetype<usize>(iov) + 4, <u32>_CHUNK);
    const code = fd_read(<u32>fd, changetype<usize>(iov), 1, changetype<usize>(n));
    if (code != 0) {
      fd_close(<u32>fd);
      _errno(code, "read", path);
      return null;
    }
    const got = <i32>load<u32>(changetype<usize>(n));
    if (got == 0) break;
    chunks.push(chunk.subarray(0, got));
    total += got;
  }
  fd_close(<u32>fd);
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}

/** A file's text (UTF-8), or null. */
export function readText(path: string): string | null {
  const bytes = readFile(path);
  if (bytes == null) return null;
  return String.UTF8.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Create or replace a file with `bytes`; its directory must exist (see mkdirs). */
export function writeFile(path: string, bytes: Uint8Array): bool {
  const fd = _open(path, _O_CREAT | _O_TRUNC, "write");
  if (fd < 0) return false;
  const iov = new ArrayBuffer(8);
  const n = new ArrayBuffer(4);
  let at = 0;
  while (at < bytes.length) {
    store<u32>(changetype<usize>(iov), <u32>(bytes.dataStart + <usize>at));
    store<u32>(changetype<usize>(iov) + 4, <u32>(bytes.length - at));
    const code = fd_write(<u32>fd, changetype<usize>(iov), 1, changetype<usize>(n));
    if (code != 0) {
      fd_close(<u32>fd);
      _errno(code, "write", path);
      return false;
    }
    at += <i32>load<u32>(changetype<usize>(n));
  }
  fd_close(<u32>fd);
  return true;
}

/** Create or replace a file with `text` (UTF-8). */
export function writeText(path: string, text: string): bool {
  return writeFile(path, Uint8Array.wrap(String.UTF8.encode(text)));
}

/** Create a directory and its missing parents (existing ones are fine). */
export function mkdirs(path: string): bool {
  const r = _resolve(path, "mkdir");
  if (!r.ok) return false;
  if (r.rel == ".") return true;
  const parts = r.rel.split("/");
  let rel = "";
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length == 0) continue;
    rel = rel.length == 0 ? parts[i] : rel + "/" + parts[i];
    const p = String.UTF8.encode(rel);
    const code = path_create_directory(r.fd, changetype<usize>(p), <u32>p.byteLength);
    if (code != 0 && code != _EEXIST) {
      _errno(code, "mkdir", path);
      return false;
    }
  }
  return true;
}

/** What `stat` reports. `mtime` is in seconds since the epoch. */
export class FileStat {
  isDir: bool = false;
  isFile: bool = false;
  size: u64 = 0;
  mtime: f64 = 0;
}

/** The status of a path (symlinks followed), or null (`fsError()` says why; ENOENT when missing). */
export function stat(path: string): FileStat | null {
  const r = _resolve(path, "stat");
  if (!r.ok) return null;
  const p = String.UTF8.encode(r.rel);
  const buf = new ArrayBuffer(64);
  const code = path_filestat_get(r.fd, _LOOKUP_FOLLOW, changetype<usize>(p), <u32>p.byteLength, changetype<usize>(buf));
  if (code != 0) {
    _errno(code, "stat", path);
    return null;
  }
  const s = new FileStat();
  const type = load<u8>(changetype<usize>(buf) + 16);
  s.isDir = type == _FILETYPE_DIR;
  s.isFile = type == _FILETYPE_FILE;
  s.size = load<u64>(changetype<usize>(buf) + 32);
  s.mtime = <f64>load<u64>(changetype<usize>(buf) + 48) / 1e9;
  return s;
}

/** Whether `path` exists. */
export function exists(path: string): bool {
  return stat(path) != null;
}

/** One directory entry. */
export class DirEntry {
  name: string = "";
  isDir: bool = false;
  isFile: bool = false;
}

/** The entries of a directory (without `.` and `..`), sorted by name; null on failure. */
export function listDir(path: string): DirEntry[] | null {
  const fd = _open(path, _O_DIRECTORY, "list");
  if (fd < 0) return null;
  const out: DirEntry[] = [];
  const size: i32 = 8192;
  const buf = new ArrayBuffer(size);
  const used = new ArrayBuffer(4);
  let cookie: u64 = 0;
  while (true) {
    const code = fd_readdir(<u32>fd, changetype<usize>(buf), <u32>size, cookie, changetype<usize>(used));
    if (code != 0) {
      fd_close(<u32>fd);
      _errno(code, "list", path);
      return null;
    }
    const n = <i32>load<u32>(changetype<usize>(used));
    let at = 0;
    let progressed = false;
    // An entry cut at the end of the buffer is read again from its cookie on the next round.
    while (at + 24 <= n) {
      const base = changetype<usize>(buf) + <usize>at;
      const next = load<u64>(base);
      const nameLen = <i32>load<u32>(base + 16);
      const type = load<u8>(base + 20);
      if (at + 24 + nameLen > n) break;
      const name = String.UTF8.decode(buf.slice(at + 24, at + 24 + nameLen));
      if (name != "." && name != "..") {
        const e = new DirEntry();
        e.name = name;
        e.isDir = type == _FILETYPE_DIR;
        e.isFile = type == _FILETYPE_FILE;
        out.push(e);
      }
      cookie = next;
      progressed = true;
      at += 24 + nameLen;
    }
    if (n < size || !progressed) break;
  }
  fd_close(<u32>fd);
  // Some WASI hosts report symlinks or unknown types: ask for the target's type then.
  for (let i = 0; i < out.length; i++) {
    if (!out[i].isDir && !out[i].isFile) {
      const s = stat(joinPath(path, out[i].name));
      if (s != null) {
        out[i].isDir = s.isDir;
        out[i].isFile = s.isFile;
      }
    }
  }
  out.sort((a: DirEntry, b: DirEntry): i32 => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** Delete a file. */
export function removeFile(path: string): bool {
  const r = _resolve(path, "remove");
  if (!r.ok) return false;
  const p = String.UTF8.encode(r.rel);
  const code = path_unlink_file(r.fd, changetype<usize>(p), <u32>p.byteLength);
  if (code != 0) {
    _errno(code, "remove", path);
    return false;
  }
  return true;
}

/** Delete an empty directory. */
export function removeDir(path: string): bool {
  const r = _resolve(path, "rmdir");
  if (!r.ok) return false;
  const p = String.UTF8.encode(r.rel);
  const code = path_remove_directory(r.fd, changetype<usize>(p), <u32>p.byteLength);
  if (code != 0) {
    _errno(code, "rmdir", path);
    return false;
  }
  return true;
}

/** Rename within one granted directory (atomic on the host). */
export function rename(from: string, to: string): bool {
  const a = _resolve(from, "rename");
  const b = _resolve(to, "rename");
  if (!a.ok || !b.ok) return false;
  const p = String.UTF8.encode(a.rel);
  const q = String.UTF8.encode(b.rel);
  const code = path_rename(a.fd, changetype<usize>(p), <u32>p.byteLength, b.fd, changetype<usize>(q), <u32>q.byteLength);
  if (code != 0) {
    _errno(code, "rename", from + " -> " + to);
    return false;
  }
  return true;
}

/** Copy a file's bytes (the target's directory must exist). */
export function copyFile(from: string, to: string): bool {
  const bytes = readFile(from);
  return bytes != null && writeFile(to, bytes);
}

/** `a/b` joined with one slash. */
export function joinPath(a: string, b: string): string {
  if (b.startsWith("/")) return b;
  if (a.length == 0) return b;
  return a.endsWith("/") ? a + b : a + "/" + b;
}

/** The last segment of a path. */
export function baseName(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.substring(i + 1);
}

/** Everything before the last segment ("/" for a top-level path, "" for a bare name). */
export function dirName(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  const i = p.lastIndexOf("/");
  if (i < 0) return "";
  return i == 0 ? "/" : p.substring(0, i);
}

/** Whether `path` is absolute. */
export function isAbsolute(path: string): bool {
  return path.startsWith("/");
}

/** ENOENT: the last failure was a missing path. */
export function lastWasNotFound(): bool {
  return _error.indexOf("(ENOENT)") >= 0;
}
