// Large random files and their sha256, for the transfer tests (streamed: 100 MB never sits in memory).
import { createHash } from "node:crypto";

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  for await (const chunk of f.readable) h.update(chunk);
  return h.digest("hex");
}

/** Write `size` random bytes to `path`; returns their sha256. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1 << 20);
  for (let done = 0; done < size; done += block.length) {
    const chunk = block.subarray(0, Math.min(block.length, size - done));
    for (let o = 0; o < chunk.length; o += 65536) crypto.getRandomValues(chunk.subarray(o, o + 65536));
    h.update(chunk);
    let off = 0;
    while (off < chunk.length) off += await f.write(chunk.subarray(off));
  }
  return h.digest("hex");
}
