// ZIP archives for the demo plugins: CRC-32, a deflate compressor (LZ77 with a hash chain, fixed Huffman
// codes), an inflater (stored, fixed and dynamic blocks) and a reader/writer of the ZIP container. Enough for
// `demo_prepare_inbox` (writes a zip) and for reading .xlsx parts (the template validator); not a general
// library (no ZIP64, no encryption).

// ---------------------------------------------------------------------------------------------------- CRC-32

let _crcTable: u32[] = [];

function _crcInit(): void {
  if (_crcTable.length > 0) return;
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    _crcTable.push(c);
  }
}

/** CRC-32 (ZIP, PNG) of `data`. */
export function crc32(data: Uint8Array): u32 {
  _crcInit();
  let c: u32 = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = _crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c ^ 0xffffffff;
}

// ------------------------------------------------------------------------------------------------ bit I/O

class _BitWriter {
  out: u8[] = [];
  acc: u32 = 0;
  n: u32 = 0;

  bits(value: u32, count: u32): void {
    this.acc |= value << this.n;
    this.n += count;
    while (this.n >= 8) {
      this.out.push(<u8>(this.acc & 0xff));
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  // Huffman codes are defined most significant bit first.
  code(code: u32, len: u32): void {
    let rev: u32 = 0;
    for (let i: u32 = 0; i < len; i++) rev |= ((code >>> i) & 1) << (len - 1 - i);
    this.bits(rev, len);
  }

  finish(): Uint8Array {
    if (this.n > 0) this.out.push(<u8>(this.acc & 0xff));
    const r = new Uint8Array(this.out.length);
    for (let i = 0; i < this.out.length; i++) r[i] = this.out[i];
    return r;
  }
}

const _LEN_BASE: u16[] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const _LEN_EXTRA: u8[] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const _DIST_BASE: u16[] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const _DIST_EXTRA: u8[] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

function _fixedLiteral(w: _BitWriter, sym: u32): void {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

// ------------------------------------------------------------------------------------------------- deflate

const _WINDOW: i32 = 32768;
const _HASH_SIZE: i32 = 1 << 15;
const _MAX_CHAIN: i32 = 64;

/** Raw deflate (RFC 1951) of `data`: one final block with fixed Huffman codes. */
export function deflate(data: Uint8Array): Uint8Array {
  const w = new _BitWriter();
  w.bits(1, 1); // BFINAL
  w.bits(1, 2); // BTYPE = 01, fixed Huffman
  const n = data.length;
  const head = new Int32Array(_HASH_SIZE).fill(-1);
  const prev = new Int32Array(n > 0 ? n : 1).fill(-1);
  let i = 0;
  while (i < n) {
    let bestLen = 0;
    let bestDist = 0;
    if (i + 3 <= n) {
      const h = ((<i32>data[i] << 10) ^ (<i32>data[i + 1] << 5) ^ <i32>data[i + 2]) & (_HASH_SIZE - 1);
      let cand = head[h];
      let chain = 0;
      while (cand >= 0 && i - cand <= _WINDOW && chain < _MAX_CHAIN) {
        let len = 0;
        while (len < 258 && i + len < n && data[cand + len] == data[i + len]) len++;
        if (len > bestLen) {
          bestLen = len;
          bestDist = i - cand;
          if (len == 258) break;
        }
        cand = prev[cand];
        chain++;
      }
      prev[i] = head[h];
      head[h] = i;
    }
    if (bestLen >= 3) {
      let li = 0;
      while (li < 28 && <i32>_LEN_BASE[li + 1] <= bestLen) li++;
      _fixedLiteral(w, 257 + <u32>li);
      if (_LEN_EXTRA[li] > 0) w.bits(<u32>(bestLen - <i32>_LEN_BASE[li]), _LEN_EXTRA[li]);
      let di = 0;
      while (di < 29 && <i32>_DIST_BASE[di + 1] <= bestDist) di++;
      w.code(<u32>di, 5);
      if (_DIST_EXTRA[di] > 0) w.bits(<u32>(bestDist - <i32>_DIST_BASE[di]), _DIST_EXTRA[di]);
      // Index the skipped positions so later matches can start inside this one.
      for (let k = 1; k < bestLen; k++) {
        const p = i + k;
        if (p + 3 <= n) {
          const h2 = ((<i32>data[p] << 10) ^ (<i32>data[p + 1] << 5) ^ <i32>data[p + 2]) & (_HASH_SIZE - 1);
          prev[p] = head[h2];
          head[h2] = p;
        }
      }
      i += bestLen;
    } else {
      _fixedLiteral(w, data[i]);
      i++;
    }
  }
  _fixedLiteral(w, 256);
  return w.finish();
}

// ------------------------------------------------------------------------------------------------- inflate

class _BitReader {
  data: Uint8Array;
  pos: i32 = 0;
  acc: u32 = 0;
  n: u32 = 0;
  bad: bool = false;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  bits(count: u32): u32 {
    while (this.n < count) {
      if (this.pos >= this.data.length) {
        this.bad = true;
        return 0;
      }
      this.acc |= (<u32>this.data[this.pos++]) << this.n;
      this.n += 8;
    }
    const v = this.acc & ((<u32>1 << count) - 1);
    this.acc = count == 32 ? 0 : this.acc >>> count;
    this.n -= count;
    return v;
  }

  align(): void {
    this.acc = 0;
    this.n = 0;
  }
}

// A canonical Huffman table: counts per length and symbols in code order (RFC 1951 3.2.2).
class _Huffman {
  counts: Int32Array = new Int32Array(16);
  symbols: Int32Array;

  constructor(lengths: Int32Array) {
    this.symbols = new Int32Array(lengths.length);
    for (let i = 0; i < lengths.length; i++) this.counts[lengths[i]]++;
    this.counts[0] = 0;
    const offs = new Int32Array(16);
    for (let len = 1; len < 16; len++) offs[len] = offs[len - 1] + this.counts[len - 1];
    for (let i = 0; i < lengths.length; i++) if (lengths[i] != 0) this.symbols[offs[lengths[i]]++] = i;
  }

  decode(r: _BitReader): i32 {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= <i32>r.bits(1);
      if (r.bad) return -1;
      const count = this.counts[len];
      if (code - count < first) return this.symbols[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return -1;
  }
}

const _CL_ORDER: i32[] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

class _Out {
  buf: Uint8Array = new Uint8Array(4096);
  len: i32 = 0;

  push(b: u8): void {
    if (this.len == this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }
}

/** Inflate raw deflate data; null when it is corrupt. `expected` sizes the output buffer up front. */
export function inflate(data: Uint8Array, expected: i32 = 0): Uint8Array | null {
  const r = new _BitReader(data);
  const out = new _Out();
  if (expected > 0) out.buf = new Uint8Array(expected);
  let last = false;
  while (!last) {
    last = r.bits(1) == 1;
    const type = r.bits(2);
    if (r.bad) return null;
    if (type == 0) {
      r.align();
      if (r.pos + 4 > data.length) return null;
      const len = <i32>data[r.pos] | (<i32>data[r.pos + 1] << 8);
      r.pos += 4;
      if (r.pos + len > data.length) return null;
      for (let k = 0; k < len; k++) out.push(data[r.pos + k]);
      r.pos += len;
      continue;
    }
    let lit: _Huffman;
    let dist: _Huffman;
    if (type == 1) {
      const l = new Int32Array(288);
      for (let k = 0; k < 288; k++) l[k] = k < 144 ? 8 : k < 256 ? 9 : k < 280 ? 7 : 8;
      lit = new _Huffman(l);
      const d = new Int32Array(30).fill(5);
      dist = new _Huffman(d);
    } else if (type == 2) {
      const hlit = <i32>r.bits(5) + 257;
      const hdist = <i32>r.bits(5) + 1;
      const hclen = <i32>r.bits(4) + 4;
      const cl = new Int32Array(19);
      for (let k = 0; k < hclen; k++) cl[_CL_ORDER[k]] = <i32>r.bits(3);
      const clh = new _Huffman(cl);
      const lens = new Int32Array(hlit + hdist);
      let k = 0;
      while (k < hlit + hdist) {
        const sym = clh.decode(r);
        if (sym < 0) return null;
        if (sym < 16) lens[k++] = sym;
        else {
          let rep = 0;
          let val = 0;
          if (sym == 16) {
            if (k == 0) return null;
            val = lens[k - 1];
            rep = 3 + <i32>r.bits(2);
          } else if (sym == 17) rep = 3 + <i32>r.bits(3);
          else rep = 11 + <i32>r.bits(7);
          if (k + rep > hlit + hdist) return null;
          for (let j = 0; j < rep; j++) lens[k++] = val;
        }
      }
      lit = new _Huffman(lens.subarray(0, hlit));
      dist = new _Huffman(lens.subarray(hlit));
    } else return null;
    while (true) {
      const sym = lit.decode(r);
      if (sym < 0) return null;
      if (sym < 256) out.push(<u8>sym);
      else if (sym == 256) break;
      else {
        const li = sym - 257;
        if (li >= 29) return null;
        const len = <i32>_LEN_BASE[li] + <i32>r.bits(_LEN_EXTRA[li]);
        const ds = dist.decode(r);
        if (ds < 0 || ds >= 30) return null;
        const d = <i32>_DIST_BASE[ds] + <i32>r.bits(_DIST_EXTRA[ds]);
        if (r.bad || d > out.len) return null;
        for (let j = 0; j < len; j++) out.push(out.buf[out.len - d]);
      }
    }
  }
  return out.buf.subarray(0, out.len);
}

// ------------------------------------------------------------------------------------------ ZIP container

function _u16(a: u8[], v: u32): void {
  a.push(<u8>(v & 0xff));
  a.push(<u8>((v >>> 8) & 0xff));
}

function _u32(a: u8[], v: u32): void {
  _u16(a, v & 0xffff);
  _u16(a, v >>> 16);
}

function _bytes(a: u8[], b: Uint8Array): void {
  for (let i = 0; i < b.length; i++) a.push(b[i]);
}

/** One member to write. */
export class ZipInput {
  name: string;
  data: Uint8Array;
  constructor(name: string, data: Uint8Array) {
    this.name = name;
    this.data = data;
  }
}

/**
 * A ZIP archive of `members` (deflated; UTF-8 names). `dosTime`/`dosDate` are the MS-DOS time stamp of
 * every member (see `dosDateTime`).
 */
export function writeZip(members: ZipInput[], dosTime: u32, dosDate: u32): Uint8Array {
  const out: u8[] = [];
  const central: u8[] = [];
  for (let i = 0; i < members.length; i++) {
    const m = members[i];
    const name = Uint8Array.wrap(String.UTF8.encode(m.name));
    const packed = deflate(m.data);
    const crc = crc32(m.data);
    const offset = <u32>out.length;
    _u32(out, 0x04034b50);
    _u16(out, 20); // version needed
    _u16(out, 0x0800); // UTF-8 names
    _u16(out, 8); // deflate
    _u16(out, dosTime);
    _u16(out, dosDate);
    _u32(out, crc);
    _u32(out, <u32>packed.length);
    _u32(out, <u32>m.data.length);
    _u16(out, <u32>name.length);
    _u16(out, 0);
    _bytes(out, name);
    _bytes(out, packed);
    _u32(central, 0x02014b50);
    _u16(central, 0x0314); // made by: Unix, 2.0
    _u16(central, 20);
    _u16(central, 0x0800);
    _u16(central, 8);
    _u16(central, dosTime);
    _u16(central, dosDate);
    _u32(central, crc);
    _u32(central, <u32>packed.length);
    _u32(central, <u32>m.data.length);
    _u16(central, <u32>name.length);
    _u16(central, 0); // extra
    _u16(central, 0); // comment
    _u16(central, 0); // disk
    _u16(central, 0); // internal attributes
    _u32(central, 0o100644 << 16); // external: a regular file, rw-r--r--
    _u32(central, offset);
    _bytes(central, name);
  }
  const cdOffset = <u32>out.length;
  for (let i = 0; i < central.length; i++) out.push(central[i]);
  _u32(out, 0x06054b50);
  _u16(out, 0);
  _u16(out, 0);
  _u16(out, <u32>members.length);
  _u16(out, <u32>members.length);
  _u32(out, <u32>central.length);
  _u32(out, cdOffset);
  _u16(out, 0);
  const r = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) r[i] = out[i];
  return r;
}

/** MS-DOS [time, date] of a UTC moment given in seconds since the epoch (the ZIP time stamp). */
export function dosDateTime(epochSeconds: f64): u32[] {
  const secs = <i64>Math.floor(epochSeconds);
  let days = <i32>(secs / 86400);
  const rem = <i32>(secs % 86400);
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  days += 719468;
  const era = (days >= 0 ? days : days - 146096) / 146097;
  const doe = days - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y < 1980 ? 1980 : y;
  const time = <u32>(((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2));
  const date = <u32>(((year - 1980) << 9) | (m << 5) | d);
  return [time, date];
}

/** A member found in an archive's central directory. */
export class ZipEntry {
  name: string = "";
  method: u32 = 0;
  compressedSize: i32 = 0;
  size: i32 = 0;
  localOffset: i32 = 0;
}

function _r16(b: Uint8Array, at: i32): u32 {
  return <u32>b[at] | (<u32>b[at + 1] << 8);
}

function _r32(b: Uint8Array, at: i32): u32 {
  return _r16(b, at) | (_r16(b, at + 2) << 16);
}

/** The members of a ZIP archive (from its central directory), or null when it is not one. */
export function listZip(zip: Uint8Array): ZipEntry[] | null {
  let eocd = -1;
  for (let i = zip.length - 22; i >= 0 && i >= zip.length - 22 - 65535; i--) {
    if (_r32(zip, i) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = <i32>_r16(zip, eocd + 10);
  let at = <i32>_r32(zip, eocd + 16);
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > zip.length || _r32(zip, at) != 0x02014b50) return null;
    const e = new ZipEntry();
    e.method = _r16(zip, at + 10);
    e.compressedSize = <i32>_r32(zip, at + 20);
    e.size = <i32>_r32(zip, at + 24);
    const nameLen = <i32>_r16(zip, at + 28);
    const extraLen = <i32>_r16(zip, at + 30);
    const commentLen = <i32>_r16(zip, at + 32);
    e.localOffset = <i32>_r32(zip, at + 42);
    if (at + 46 + nameLen > zip.length) return null;
    e.name = String.UTF8.decode(zip.buffer.slice(zip.byteOffset + at + 46, zip.byteOffset + at + 46 + nameLen));
    out.push(e);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The bytes of member `name`, or null when it is missing, corrupt or uses another method. */
export function readZipMember(zip: Uint8Array, name: string): Uint8Array | null {
  const entries = listZip(zip);
  if (entries == null) return null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.name != name) continue;
    const at = e.localOffset;
    if (at + 30 > zip.length || _r32(zip, at) != 0x04034b50) return null;
    const start = at + 30 + <i32>_r16(zip, at + 26) + <i32>_r16(zip, at + 28);
    if (start + e.compressedSize > zip.length) return null;
    const raw = zip.subarray(start, start + e.compressedSize);
    if (e.method == 0) return raw;
    if (e.method == 8) return inflate(raw, e.size);
    return null;
  }
  return null;
}
