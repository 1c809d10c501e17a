// The Extism host functions (module `extism:host/env`) the aetherflow SDK needs, and helpers to move bytes
// across the boundary. This replaces @extism/as-pdk, so a plugin builds with AssemblyScript alone.
// Host memory is addressed by u64 offsets; bytes move 8 at a time, then one by one for the tail.

@external("extism:host/env", "input_length")
declare function input_length(): u64;
@external("extism:host/env", "input_load_u8")
declare function input_load_u8(offset: u64): u8;
@external("extism:host/env", "input_load_u64")
declare function input_load_u64(offset: u64): u64;
@external("extism:host/env", "length")
declare function length(offset: u64): u64;
@external("extism:host/env", "alloc")
declare function alloc(size: u64): u64;
@external("extism:host/env", "store_u8")
declare function store_u8(offset: u64, value: u8): void;
@external("extism:host/env", "store_u64")
declare function store_u64(offset: u64, value: u64): void;
@external("extism:host/env", "load_u8")
declare function load_u8(offset: u64): u8;
@external("extism:host/env", "load_u64")
declare function load_u64(offset: u64): u64;
@external("extism:host/env", "output_set")
declare function output_set(offset: u64, size: u64): void;
@external("extism:host/env", "error_set")
declare function error_set(offset: u64): void;
@external("extism:host/env", "http_request")
export declare function http_request(request: u64, body: u64): u64;
@external("extism:host/env", "http_status_code")
export declare function http_status_code(): i32;

/** The call input, as bytes. */
export function inputBytes(): Uint8Array {
  const n = <i32>input_length();
  const out = new Uint8Array(n);
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(out.dataStart + <usize>i, input_load_u64(<u64>i));
  for (; i < n; i++) out[i] = input_load_u8(<u64>i);
  return out;
}

/** Copy `bytes` into a new host memory block; returns its offset. */
export function toHost(bytes: Uint8Array): u64 {
  const n = bytes.length;
  const offset = alloc(<u64>n);
  let i = 0;
  for (; i + 8 <= n; i += 8) store_u64(offset + <u64>i, load<u64>(bytes.dataStart + <usize>i));
  for (; i < n; i++) store_u8(offset + <u64>i, bytes[i]);
  return offset;
}

/** The bytes of the host memory block at `offset`. */
export function fromHost(offset: u64): Uint8Array {
  const n = <i32>length(offset);
  const out = new Uint8Array(n);
  let i = 0;
  for (; i + 8 <= n; i += 8) store<u64>(out.dataStart + <usize>i, load_u64(offset + <u64>i));
  for (; i < n; i++) out[i] = load_u8(offset + <u64>i);
  return out;
}

/** UTF-8 bytes of `text` (never UTF-16 lengths: non-ASCII text stays intact). */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

/** Set the call output. */
export function setOutput(bytes: Uint8Array): void {
  output_set(toHost(bytes), <u64>bytes.length);
}

/** Set the call error (the export then returns non-zero). */
export function setError(message: string): void {
  error_set(toHost(utf8(message)));
}
