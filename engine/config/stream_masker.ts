/**
 * Byte-level streaming masking [D18] (docs/secrets.md "Child process output"): a child's raw output, chunk by chunk,
 * written on with every registered secret replaced by `***`. Line-buffered (written at each `\n` or `\r`); a line
 * longer than `LONG_LINE_BYTES` is written in parts, but never cut inside something that could still become a
 * secret: the bytes that are a prefix of a secret stay buffered until more data shows whether the secret follows,
 * or the stream ends. Binary-safe: bytes are searched as bytes, so output that is not UTF-8 passes unchanged.
 * @module
 */
import { binaryToBytes, bytesToBinary, MASK } from "./masking.ts";

/** What the streaming masker reads from the run's masker (`Masker` implements it). */
export interface ByteSecrets {
  /** Every free-standing secret as UTF-8 bytes in a binary string (one char per byte). Read at every flush. */
  binarySecrets(): readonly string[];
  /** A binary string with short secrets masked where printed as their key's value (`TOKEN=abc`). */
  maskShortBinary(text: string): string;
  /** The longest span of a short secret with its key (see `Masker.shortSecretSpanBytes`). */
  readonly shortSecretSpanBytes: number;
}

/** A partial line is held back until this many bytes are pending, then written except for a possible secret. */
export const LONG_LINE_BYTES = 64 * 1024;

const _NEWLINE = 0x0a;
const _CARRIAGE_RETURN = 0x0d;

/**
 * Masks one stream (stdout or stderr, never both: each has its own instance). `push` each chunk as it arrives,
 * `end` once at EOF; `write` receives masked bytes in order and is awaited (back-pressure).
 */
export class StreamMasker {
  readonly #secrets: ByteSecrets | null;
  readonly #write: (bytes: Uint8Array) => Promise<void>;
  readonly #longLine: number;
  /** Pending bytes (binary string). */
  #buffer = "";
  /** Leading pending bytes that belong to a secret whose `***` was already written (it straddled the last flush). */
  #covered = 0;
  /** Leading pending bytes known to hold no line end (a partial line fed byte by byte is not rescanned). */
  #lineFree = 0;

  constructor(
    secrets: ByteSecrets | null,
    write: (bytes: Uint8Array) => Promise<void>,
    options: { longLineBytes?: number } = {},
  ) {
    this.#secrets = secrets;
    this.#write = write;
    this.#longLine = options.longLineBytes ?? LONG_LINE_BYTES;
  }

  /** Bytes held back, waiting for the end of a line or of a possible secret. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#buffer += bytesToBinary(chunk);
    await this.#flush(false);
  }

  /** Write everything still pending (the stream ended: a secret's prefix left now is only that prefix). */
  async end(): Promise<void> {
    await this.#flush(true);
  }

  async #flush(eof: boolean): Promise<void> {
    const buffer = this.#buffer;
    const secrets = this.#secrets?.binarySecrets() ?? [];
    const settled = eof ? buffer.length : _settledEnd(buffer, secrets);
    let end = eof ? buffer.length : _lastLineEnd(buffer, settled, this.#lineFree);
    if (!eof && buffer.length - end > this.#longLine) {
      // A long line: write what is settled, keeping room for a short secret's `KEY=value` beside the cut.
      end = Math.max(end, settled - (this.#secrets?.shortSecretSpanBytes ?? 0));
    }
    if (end <= 0) {
      this.#lineFree = settled;
      return;
    }
    const { text, coveredPastEnd } = _maskUpTo(buffer, end, secrets, this.#covered);
    this.#buffer = buffer.slice(end);
    this.#covered = coveredPastEnd;
    this.#lineFree = 0;
    const masked = this.#secrets ? this.#secrets.maskShortBinary(text) : text;
    if (masked.length > 0) await this.#write(binaryToBytes(masked));
  }
}

/**
 * Where the bytes whose masking is already decided end: the start of the earliest suffix of `buffer` that is a
 * proper prefix of a secret (more data may complete it), else the buffer's end.
 */
function _settledEnd(buffer: string, secrets: readonly string[]): number {
  const n = buffer.length;
  if (n === 0) return 0;
  const last = buffer.charCodeAt(n - 1);
  let settled = n;
  for (const secret of secrets) {
    // Only prefixes longer than the part already unsettled can move the point back; the longest one wins.
    for (let k = Math.min(secret.length - 1, n); k > n - settled; k--) {
      if (secret.charCodeAt(k - 1) !== last) continue;
      if (_endsWithPrefix(buffer, secret, k)) {
        settled = n - k;
        break;
      }
    }
  }
  return settled;
}

/** Whether `buffer` ends with the first `k` chars of `secret`. */
function _endsWithPrefix(buffer: string, secret: string, k: number): boolean {
  const start = buffer.length - k;
  for (let i = 0; i < k; i++) {
    if (buffer.charCodeAt(start + i) !== secret.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The end of the last complete line (after its `\n` or `\r`) that lies before `limit`; 0 when there is none.
 * `buffer[0, lineFree)` is known to hold no line end.
 */
function _lastLineEnd(buffer: string, limit: number, lineFree: number): number {
  for (let i = limit - 1; i >= lineFree; i--) {
    const c = buffer.charCodeAt(i);
    if (c === _NEWLINE || c === _CARRIAGE_RETURN) return i + 1;
  }
  return 0;
}

/**
 * `buffer[0, end)` with every byte inside an occurrence of a secret replaced: each run of overlapping occurrences
 * becomes one `***`, so no byte of any secret shows even when two secrets overlap. An occurrence that starts
 * before `end` and ends after it is written as `***` now; `coveredPastEnd` says how many bytes after `end` it
 * still covers (they are dropped at the next flush). `covered` leading bytes continue such an occurrence from
 * the flush before (its `***` is already written).
 */
function _maskUpTo(
  buffer: string,
  end: number,
  secrets: readonly string[],
  covered: number,
): { text: string; coveredPastEnd: number } {
  const spans: [number, number][] = covered > 0 ? [[0, covered]] : [];
  for (const secret of secrets) {
    for (let at = buffer.indexOf(secret); at !== -1 && at < end; at = buffer.indexOf(secret, at + 1)) {
      spans.push([at, at + secret.length]);
    }
  }
  if (spans.length === 0) return { text: buffer.slice(0, end), coveredPastEnd: 0 };
  spans.sort((a, b) => a[0] - b[0]);
  let text = "";
  let pos = 0;
  let coveredPastEnd = 0;
  let i = 0;
  while (i < spans.length) {
    const [start] = spans[i]!;
    let stop = spans[i]![1];
    for (i++; i < spans.length && spans[i]![0] < stop; i++) stop = Math.max(stop, spans[i]![1]);
    text += buffer.slice(pos, start);
    // The continuation of a secret masked at the previous flush writes nothing more.
    if (!(start === 0 && covered > 0)) text += MASK;
    pos = Math.min(stop, end);
    if (stop > end) coveredPastEnd = stop - end;
  }
  text += buffer.slice(pos, end);
  return { text, coveredPastEnd };
}
