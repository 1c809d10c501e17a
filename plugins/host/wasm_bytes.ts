/**
 * Byte-level helpers that run BEFORE a module is compiled: the sha256 pin check and the memory cap.
 *
 * The memory cap rewrites the declared maximum of every memory the module defines (docs/plugin-abi.md "Limits": a
 * cap that relies on a V8 flag given on one command line only is not enough). Extism 1.0.3 has no memory
 * option, so the bound is baked into the module: `memory.grow` past it returns -1 however the engine started.
 * @module
 */
import { AetherflowError, EXIT } from "../../engine/errors.ts";

/** Bytes per WebAssembly page. */
export const WASM_PAGE_BYTES = 65536;

/** Lowercase hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Return a copy of `bytes` whose defined memories declare at most `maxPages` pages.
 * @throws {AetherflowError} `plugin:memory` (exit 2) when a memory's initial size is above the cap, or the
 * module is not a WebAssembly binary / uses 64-bit memories.
 */
export function capMemoryPages(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw _invalid("not a WebAssembly binary (bad magic)");
  }
  const out: number[] = [...bytes.subarray(0, 8)];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const [size, sizeLen] = _readU32(bytes, pos);
    pos += sizeLen;
    const body = bytes.subarray(pos, pos + size);
    if (body.length !== size) throw _invalid("truncated section");
    pos += size;
    const newBody = id === 5 ? _capMemorySection(body, maxPages) : body;
    out.push(id, ...encodeU32(newBody.length));
    for (const b of newBody) out.push(b);
  }
  return new Uint8Array(out);
}

function _capMemorySection(body: Uint8Array, maxPages: number): number[] {
  let pos = 0;
  const [count, countLen] = _readU32(body, pos);
  pos += countLen;
  const out: number[] = [...encodeU32(count)];
  for (let i = 0; i < count; i++) {
    const flags = body[pos++]!;
    if (flags > 3) throw _invalid("64-bit or unknown memory flags are not supported");
    const [min, minLen] = _readU32(body, pos);
    pos += minLen;
    let max = Infinity;
    if (flags & 1) {
      const [m, mLen] = _readU32(body, pos);
      pos += mLen;
      max = m;
    }
    if (min > maxPages) {
      throw new AetherflowError(
        `Plugin declares ${_mib(min)} MiB of initial memory, above its memory cap of ${
          _mib(maxPages)
        } MiB (memory_mb)`,
        { code: "plugin:memory", exitCode: EXIT.INVALID },
      );
    }
    out.push(flags | 1, ...encodeU32(min), ...encodeU32(Math.min(max, maxPages)));
  }
  return out;
}

function _mib(pages: number): number {
  return (pages * WASM_PAGE_BYTES) / (1024 * 1024);
}

function _invalid(detail: string): AetherflowError {
  return new AetherflowError(`Invalid plugin module: ${detail}`, {
    code: "plugin:invalid_module",
    exitCode: EXIT.INVALID,
  });
}

function _readU32(bytes: Uint8Array, start: number): [number, number] {
  let result = 0;
  let shift = 0;
  let pos = start;
  for (;;) {
    if (pos >= bytes.length || shift > 28) throw _invalid("bad LEB128 integer");
    const b = bytes[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [result, pos - start];
}

/** Unsigned LEB128 encoding of `value` (the WebAssembly binary format's integers). */
export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}
