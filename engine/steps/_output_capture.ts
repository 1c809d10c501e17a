// Reading a child's output to the end [D16]: `capture` buffers (with an explicit, reported cap) and logs each
// line; `file` appends to one handle shared by both streams and kept open across retries; `inherit` writes to the
// engine's own stdout/stderr. `file` and `inherit` go through a byte-level `StreamMasker` per stream [D18].
import { dirname } from "node:path";
import type { StreamMasker } from "../config/stream_masker.ts";

/**
 * Bytes read past the cap and kept aside, so the masker sees a secret the cap cuts through whole (a secret
 * longer than this could still be cut: docs/secrets.md "Error paths").
 */
export const CAPTURE_LOOKAHEAD_BYTES = 64 * 1024;

/** A per-stream byte buffer; bytes past `capBytes` are counted, never silently dropped [D16]. */
export class CaptureBuffer {
  readonly #capBytes: number | null;
  readonly #chunks: Uint8Array[] = [];
  readonly #ahead: Uint8Array[] = [];
  #kept = 0;
  #aheadKept = 0;
  #dropped = 0;

  constructor(capBytes: number | null) {
    this.#capBytes = capBytes;
  }

  push(chunk: Uint8Array): void {
    const room = this.#capBytes === null ? chunk.length : Math.max(0, this.#capBytes - this.#kept);
    const keep = Math.min(room, chunk.length);
    if (keep > 0) {
      this.#chunks.push(chunk.slice(0, keep));
      this.#kept += keep;
    }
    const aside = Math.min(CAPTURE_LOOKAHEAD_BYTES - this.#aheadKept, chunk.length - keep);
    if (aside > 0) {
      this.#ahead.push(chunk.slice(keep, keep + aside));
      this.#aheadKept += aside;
    }
    this.#dropped += chunk.length - keep;
  }

  /** Bytes cut by the cap (including a partial UTF-8 sequence at the cut, see `text`). */
  get droppedBytes(): number {
    return this.#dropped + (this.#dropped > 0 ? _partialTail(_concat(this.#chunks, this.#kept)) : 0);
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  /**
   * UTF-8 with replacement; when cut, an incomplete character at the cut is dropped rather than mangled. With
   * `mask` (D18) a cut text is returned masked and without any part of a secret the cut went through: the text
   * kept is masked alone and together with the bytes read past the cap, and only what both agree on is kept.
   */
  text(mask?: (text: string) => string): string {
    const bytes = _concat(this.#chunks, this.#kept);
    if (this.#dropped === 0) return new TextDecoder().decode(bytes);
    const kept = new TextDecoder().decode(bytes.subarray(0, bytes.length - _partialTail(bytes)));
    if (!mask) return kept;
    const maskedKept = mask(kept);
    const ahead = new TextDecoder().decode(_concat(this.#ahead, this.#aheadKept));
    const maskedWhole = mask(kept + ahead);
    let same = 0;
    while (same < maskedKept.length && maskedKept[same] === maskedWhole[same]) same++;
    return maskedKept.slice(0, same);
  }
}

function _concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Length of an incomplete UTF-8 sequence at the end of `bytes` (0 when it ends on a boundary). */
function _partialTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Splits a byte stream into text lines (without `\n`/`\r\n`); the last unterminated line is flushed at end. */
export class LineSplitter {
  readonly #decoder = new TextDecoder();
  #pending = "";

  push(chunk: Uint8Array): string[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const parts = this.#pending.split("\n");
    this.#pending = parts.pop() ?? "";
    return parts.map(_stripCr);
  }

  flush(): string[] {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = "";
    return rest === "" ? [] : [_stripCr(rest)];
  }
}

function _stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** One append-mode handle for both streams; writes are serialised so chunks never interleave mid-write. */
export class SharedLogFile {
  readonly path: string;
  readonly #file: Deno.FsFile;
  #queue: Promise<void> = Promise.resolve();

  /** Use `SharedLogFile.open`. */
  constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Open (parents created, append mode). Upstream closed it after attempt 1, so retries failed. */
  static async open(path: string): Promise<SharedLogFile> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const file = await Deno.open(path, { append: true, create: true, write: true });
    return new SharedLogFile(path, file);
  }

  write(chunk: Uint8Array): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      let offset = 0;
      while (offset < chunk.length) offset += await this.#file.write(chunk.subarray(offset));
    });
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#file.close();
  }
}

/** Where one piped stream goes. */
export interface StreamSink {
  capture?: CaptureBuffer;
  onLine?: (line: string) => void;
  /** Masked pass-through (`file`, `inherit`): the bytes are written on with every secret as `***`. */
  out?: StreamMasker;
}

/**
 * A writer that stops writing after its first failure (a closed terminal, a full disk) instead of throwing: the
 * stream is still read to its end, so the child never blocks on a pipe nobody reads.
 */
export function lenientWriter(
  write: (bytes: Uint8Array) => Promise<void>,
): (bytes: Uint8Array) => Promise<void> {
  let broken = false;
  return async (bytes) => {
    if (broken) return;
    try {
      await write(bytes);
    } catch {
      broken = true;
    }
  };
}

/** Write all of `bytes` to one of the engine's own standard streams. */
export async function writeAllTo(
  stream: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await stream.write(bytes.subarray(offset));
}

/** Read `stream` to the end into `sink`. Resolves when the pipe closes (every writer, descendants too, is gone). */
export async function drainStream(stream: ReadableStream<Uint8Array>, sink: StreamSink): Promise<void> {
  const splitter = sink.onLine ? new LineSplitter() : null;
  try {
    for await (const chunk of stream) {
      sink.capture?.push(chunk);
      if (sink.out) await sink.out.push(chunk);
      if (splitter && sink.onLine) { for (const line of splitter.push(chunk)) sink.onLine(line); }
    }
  } finally {
    // Also when reading fails: what was read is written (masked), not lost.
    await sink.out?.end();
  }
  if (splitter && sink.onLine) { for (const line of splitter.flush()) sink.onLine(line); }
}
