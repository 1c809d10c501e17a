// The file I/O of the run log (the only Deno.* use of engine/observe besides metrics/_io.ts).

/** Open `path` for appending (creating it and its parent dir); returns its current size. */
export function openAppend(path: string, dir: string): { file: Deno.FsFile; size: number } {
  Deno.mkdirSync(dir, { recursive: true });
  const file = Deno.openSync(path, { append: true, create: true });
  return { file, size: file.statSync().size };
}

/** Write all of `bytes` (O_APPEND: each write lands at the end, whole lines stay whole). */
export function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let rest = bytes;
  while (rest.length > 0) rest = rest.subarray(file.writeSync(rest));
}

/** The bytes of `path` from `offset` on; null when the file does not exist. */
export async function readFrom(path: string, offset: number): Promise<Uint8Array | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    while (true) {
      const n = await file.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    file.close();
  }
}

/** Remove `path`; a missing file is fine. Returns whether something was removed. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
