// PostgreSQL's fast path of db_extract_stream csv/tsv (docs/steps.md "db_extract_stream", "The COPY path"):
// `COPY (SELECT <cell expressions> FROM (<query>) _af) TO STDOUT (FORMAT csv …)` where each column is rendered
// by the server in exactly the text the cursor path would write ("Value formatting"). A value outside the
// forms the server can print that way (a float needing an exponent, a timestamp before year 1000, …) raises a
// marked error, and the step reads the query again through the cursor path.

/** The text a failed cast carries so that the driver recognises a fallback request (never user data). */
export const COPY_FALLBACK_MARK = "aetherflow-copy-fallback";

// An error the planner cannot fold away (it depends on the value) that names the fallback.
const _raise = (col: string) => `('${COPY_FALLBACK_MARK}' || left(${col}::text, 0))::int4::text`;

// Bounds compared in the column's own type (float4 0.0001 is below float8 0.0001).
const _float = (col: string, type: string, fixedBelow: string) =>
  `CASE WHEN ${col} = 0 THEN '0' WHEN ${col} IN ('NaN', 'Infinity', '-Infinity') THEN NULL ` +
  `WHEN abs(${col}) >= 1e-4::${type} AND abs(${col}) < ${fixedBelow}::${type} THEN ${col}::text ` +
  `ELSE ${_raise(col)} END`;

// Fraction as the cursor path writes it: none when zero, milliseconds when whole, else microseconds.
const _fraction = (col: string) =>
  `CASE (date_part('microseconds', ${col})::int8 % 1000000) WHEN 0 THEN '' ` +
  `ELSE CASE WHEN date_part('microseconds', ${col})::int8 % 1000 = 0 THEN to_char(${col}, '.MS') ` +
  `ELSE to_char(${col}, '.US') END END`;

const _timestamp = (col: string, zoned: boolean) =>
  `CASE WHEN ${col} >= '1000-01-01' AND ${col} < '10000-01-01'` +
  (zoned ? ` AND date_part('timezone', ${col})::int4 % 60 = 0` : "") +
  ` THEN to_char(${col}, 'YYYY-MM-DD HH24:MI:SS') || ${_fraction(col)}` +
  (zoned ? ` || to_char(${col}, 'TZH:TZM')` : "") +
  ` ELSE ${_raise(col)} END`;

const _emptyIsNull = (col: string) => `NULLIF(${col}::text, '')`;

// Cell expression by column type OID; a type missing here keeps the query on the cursor path.
const _CELL: Record<number, (col: string) => string> = {
  16: (c) => `${c}::text`, // bool: true/false
  17: (c) => `NULLIF(translate(encode(${c}, 'base64'), E'\\n', ''), '')`, // bytea: base64, one line
  18: _emptyIsNull, // "char"
  19: _emptyIsNull, // name
  20: (c) => c, // int8
  21: (c) => c, // int2
  23: (c) => c, // int4
  25: _emptyIsNull, // text
  26: (c) => c, // oid
  142: _emptyIsNull, // xml
  700: (c) => _float(c, "float4", "1e6"), // float4 prints an exponent from 1e6 on
  701: (c) => _float(c, "float8", "1e15"), // float8 from 1e15 on
  1043: _emptyIsNull, // varchar
  1082: (c) => c, // date: the server's text, as the cursor path keeps it
  1083: (c) => c, // time
  1114: (c) => _timestamp(c, false),
  1184: (c) => _timestamp(c, true),
  1186: (c) => c, // interval
  1266: (c) => c, // timetz
  1700: (c) => `NULLIF(NULLIF(NULLIF(${c}::text, 'NaN'), 'Infinity'), '-Infinity')`, // numeric
  2950: (c) => c, // uuid
};

// Statements that can stand as a sub-select; anything else (INSERT … RETURNING, SHOW) stays on the cursor path.
const _SELECTISH = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/|\()*(select|with|values|table)\b/i;

/** A character COPY accepts as delimiter or quote and that means the same to it as to the step's writer. */
function _copyChar(c: string): boolean {
  return c.length === 1 && c.charCodeAt(0) > 0 && c.charCodeAt(0) < 128 && !/[\r\n\\a-zA-Z0-9 .]/.test(c);
}

/**
 * How the client finishes a cell that the server printed with the type's own output function (the cheap
 * form: the cell expressions above cost the server more than the whole plain COPY). See `CopyFinisher`.
 */
export const FINISH = {
  /** the server's text is the documented form (or a cell expression made it so) */
  keep: 0,
  /** `t`/`f` → `true`/`false` */
  bool: 1,
  /** `NaN`, `Infinity`, `-Infinity` → empty */
  numeric: 2,
  /** `0`/`-0` → `0`; `NaN`, `±Infinity` → empty; an exponent → cursor path */
  float: 3,
  /** an empty string (`""`, quoted by COPY) → empty, like null */
  text: 4,
  /** ISO text: fraction to 3 or 6 digits; years outside 1000–9999, BC, infinity → cursor path */
  timestamp: 5,
  /** as timestamp, and the offset as `±HH:MM` (an offset with seconds → cursor path) */
  timestamptz: 6,
} as const;

// Types printed plainly and finished by the client, by OID.
const _FINISHED: Record<number, number> = {
  16: FINISH.bool,
  18: FINISH.text,
  19: FINISH.text,
  25: FINISH.text,
  142: FINISH.text,
  700: FINISH.float,
  701: FINISH.float,
  1043: FINISH.text,
  1114: FINISH.timestamp,
  1184: FINISH.timestamptz,
  1700: FINISH.numeric,
};

/**
 * The COPY statement that renders `sql` as CSV, and how the client finishes each column (`FINISH`) so that
 * the bytes are exactly the cursor path's; null when it cannot (parameters, a single column, an unknown
 * column type, a statement that is not a query, or a dialect COPY does not share). Data-modifying CTEs fail
 * inside a sub-select; the driver falls back on any error raised before the first row. A delimiter or quote
 * that occurs in numbers or timestamps (`-`, `:`, `+`) makes the server render every cell in full instead.
 */
export function postgresCopyPlan(
  sql: string,
  oids: readonly number[],
  dialect: { delimiter: string; quotechar: string },
): { sql: string; finish: number[] } | null {
  // A lone column is written `""` when empty by the step (COPY would write an empty line).
  if (oids.length < 2) return null;
  if (!_SELECTISH.test(sql)) return null;
  const { delimiter: d, quotechar: q } = dialect;
  if (!_copyChar(d) && d !== "\t") return null;
  if (!_copyChar(q) || q === d) return null;
  // Finished cells are never quoted by COPY unless the dialect uses a character of their text.
  const finishing = !/[-:+]/.test(d + q);
  const cells: string[] = [];
  const finish: number[] = [];
  for (let i = 0; i < oids.length; i++) {
    const col = `_af.c${i + 1}`;
    const how = finishing ? _FINISHED[oids[i]!] : undefined;
    if (how !== undefined) {
      cells.push(col);
      finish.push(how);
      continue;
    }
    const cell = _CELL[oids[i]!];
    if (!cell) return null;
    cells.push(cell(col));
    finish.push(FINISH.keep);
  }
  const body = sql.replace(/[\s;]+$/, "");
  const names = oids.map((_, i) => `c${i + 1}`).join(", ");
  const lit = (c: string) => c === "\t" ? "E'\\t'" : `'${c.replace(/'/g, "''")}'`;
  return {
    sql: `COPY (SELECT ${cells.join(", ")} FROM (${body}\n) AS _af(${names})) TO STDOUT ` +
      `(FORMAT csv, DELIMITER ${lit(d)}, QUOTE ${lit(q)}, NULL '')`,
    finish,
  };
}

/** Whether a server error asks for the cursor path (the marked cast of `postgresCopyPlan`, or a cell `CopyFinisher` refuses). */
export function isCopyFallback(e: unknown): boolean {
  return String((e as { message?: unknown })?.message ?? "").includes(COPY_FALLBACK_MARK);
}

const _LF = 10;
const _ZERO = 0x30;
// The most a finished cell grows (`f` → `false`; a fraction padded by 2 and `+HH` → `+HH:00`).
const _GROWTH = 5;

function _fallback(what: string): Error {
  return new Error(`${COPY_FALLBACK_MARK}: ${what}`);
}

// Rows are gathered into batches of about this many bytes, so that the file gets large writes; the stream is
// paused (which pauses the socket) while a full batch waits for the step.
const _BATCH_BYTES = 1 << 20;

/**
 * Gathers the COPY rows into large batches, turning the plain text of the columns marked in `finish` into
 * their documented form (docs/steps.md "Value formatting") on the way: byte for byte what the cell
 * expressions would have printed. Counts the rows (line feeds outside quoted cells). Works on bytes; a row
 * split across chunks waits for the rest. A value the documented form cannot hold throws the marked fallback
 * error (`isCopyFallback`), like the server-side expressions do.
 */
export class CopyFinisher {
  /** Rows finished so far. */
  rows = 0;
  readonly #finish: Uint8Array;
  readonly #delimiter: number;
  readonly #quote: number;
  readonly #growth: number;
  #carry: Uint8Array | null = null;
  #out: Uint8Array;
  // The batch handed out last, filled again after the next `take()` (two buffers for the whole COPY, so
  // that memory does not depend on how many batches pass through).
  #spare: Uint8Array;
  #o = 0;

  constructor(finish: readonly number[], dialect: { delimiter: string; quotechar: string }) {
    this.#finish = Uint8Array.from(finish);
    this.#delimiter = dialect.delimiter.charCodeAt(0);
    this.#quote = dialect.quotechar.charCodeAt(0);
    this.#growth = _GROWTH * finish.length + 16;
    this.#out = new Uint8Array(_BATCH_BYTES + (_BATCH_BYTES >> 3));
    this.#spare = new Uint8Array(this.#out.length);
  }

  /** Bytes finished and not yet taken. */
  get size(): number {
    return this.#o;
  }

  /**
   * The finished bytes so far. They stay valid until the next `take()`, which reuses the memory of the batch
   * before them.
   */
  take(): Uint8Array {
    const full = this.#out;
    const done = full.subarray(0, this.#o);
    this.#out = this.#spare;
    this.#spare = full;
    this.#o = 0;
    return done;
  }

  /** Finish the complete rows of `chunk` (with what an earlier chunk left of its last row). */
  push(chunk: Uint8Array): void {
    let input = chunk;
    if (this.#carry !== null) {
      input = new Uint8Array(this.#carry.length + chunk.length);
      input.set(this.#carry);
      input.set(chunk, this.#carry.length);
      this.#carry = null;
    }
    const finish = this.#finish;
    const ncols = finish.length;
    const d = this.#delimiter;
    const q = this.#quote;
    const growth = this.#growth;
    const n = input.length;
    // Room for the whole input grown by the most its rows can grow (a row has at least one byte per column).
    const room = this.#o + n + Math.ceil(n / ncols + 1) * growth;
    if (room > this.#out.length) {
      const bigger = new Uint8Array(Math.max(this.#out.length * 2, room));
      bigger.set(this.#out.subarray(0, this.#o));
      this.#out = bigger;
    }
    const out = this.#out;
    let o = this.#o;
    let i = 0;
    let rows = 0;
    // Unchanged bytes are copied in spans: [span, …) is not copied yet.
    let span = 0;
    let rowStart = 0;
    let rowOut = o;
    let rowSpan = span;
    scan: while (i < n) {
      rowStart = i;
      rowOut = o;
      rowSpan = span;
      for (let c = 0; c < ncols; c++) {
        const how = finish[c];
        const s = i;
        let quoted = false;
        if (input[i] === q) {
          quoted = true;
          i++;
          while (true) {
            if (i >= n) break scan;
            if (input[i] === q) {
              if (i + 1 >= n) break scan;
              if (input[i + 1] !== q) {
                i++;
                break;
              }
              i++;
            }
            i++;
          }
        } else {
          while (i < n) {
            const b = input[i];
            if (b === d || b === _LF) break;
            i++;
          }
        }
        if (i >= n) break scan;
        if (input[i] !== (c === ncols - 1 ? _LF : d)) throw _fallback("a COPY row of another shape");
        const e = i;
        i++;
        if (how === FINISH.keep || e === s) continue;
        if (how === FINISH.text) {
          if (!quoted || e - s !== 2) continue;
        } else if (quoted) throw _fallback("a quoted value");
        else if (!_changes(how, input, s, e)) continue;
        o = _copy(input, span, s, out, o);
        span = e;
        if (how !== FINISH.text) o = _finishCell(how, input, s, e, out, o);
      }
      rows++;
      rowStart = i;
    }
    if (rowStart < n) {
      // An incomplete last row waits for the next chunk: what was written of it is dropped.
      o = rowOut;
      span = rowSpan;
      this.#carry = new Uint8Array(input.subarray(rowStart));
    }
    o = _copy(input, span, rowStart, out, o);
    this.#o = o;
    this.rows += rows;
  }

  /** The end of the data: a row left incomplete is an error. */
  end(): void {
    if (this.#carry !== null) throw _fallback("an incomplete COPY row");
  }
}

/** Copy `input[a, b)` to `out[o]`; the new offset. */
function _copy(input: Uint8Array, a: number, b: number, out: Uint8Array, o: number): number {
  const len = b - a;
  if (len < 96) {
    for (let k = a; k < b; k++) out[o++] = input[k]!;
    return o;
  }
  out.set(new Uint8Array(input.buffer, input.byteOffset + a, len), o);
  return o + len;
}

/** Whether a non-empty, unquoted cell `input[s, e)` is written differently (or refused) when finished. */
function _changes(how: number, input: Uint8Array, s: number, e: number): boolean {
  const b0 = input[s]!;
  switch (how) {
    case FINISH.numeric:
      return b0 === 0x4e || b0 === 0x49 || (b0 === 0x2d && input[s + 1] === 0x49);
    case FINISH.float:
      if (b0 === 0x4e || b0 === 0x49 || b0 === 0x2d) return true; // NaN, Infinity, -…
      for (let k = s; k < e; k++) {
        const b = input[k];
        if (b === 0x65 || b === 0x45) return true; // an exponent
      }
      return false;
    case FINISH.timestamp:
    case FINISH.timestamptz: {
      // Unchanged: YYYY-MM-DD HH:MM:SS, no fraction or 3 or 6 digits, (tz) ±HH:MM.
      if (e - s < 19 || b0 < 0x31 || b0 > 0x39 || input[s + 4] !== 0x2d || input[s + 10] !== 0x20) {
        return true;
      }
      let k = s + 19;
      if (input[k] === 0x2e) {
        let m = k + 1;
        while (m < e && input[m]! >= _ZERO && input[m]! <= 0x39) m++;
        if (m - k !== 4 && m - k !== 7) return true;
        k = m;
      }
      if (how === FINISH.timestamp) return k !== e;
      return k + 6 !== e || input[k + 3] !== 0x3a || (input[k] !== 0x2b && input[k] !== 0x2d);
    }
    default:
      return true;
  }
}

/** Write the finished form of a non-empty, unquoted cell `input[s, e)` at `out[o]`; the new offset. */
function _finishCell(
  how: number,
  input: Uint8Array,
  s: number,
  e: number,
  out: Uint8Array,
  o: number,
): number {
  const b0 = input[s]!;
  switch (how) {
    case FINISH.bool:
      if (e - s === 1 && b0 === 0x74) { // t
        out[o] = 0x74, out[o + 1] = 0x72, out[o + 2] = 0x75, out[o + 3] = 0x65; // true
        return o + 4;
      }
      if (e - s === 1 && b0 === 0x66) { // f
        out[o] = 0x66, out[o + 1] = 0x61, out[o + 2] = 0x6c, out[o + 3] = 0x73, out[o + 4] = 0x65; // false
        return o + 5;
      }
      throw _fallback("a boolean");
    case FINISH.numeric:
    case FINISH.float: {
      // NaN, Infinity, -Infinity: an empty cell.
      if (b0 === 0x4e || b0 === 0x49 || (b0 === 0x2d && input[s + 1] === 0x49)) return o;
      if (how === FINISH.numeric) break;
      if (e - s === 1 && b0 === _ZERO) return (out[o] = _ZERO, o + 1);
      if (e - s === 2 && b0 === 0x2d && input[s + 1] === _ZERO) return (out[o] = _ZERO, o + 1); // -0
      for (let k = s; k < e; k++) {
        const b = input[k]!;
        if (b === 0x65 || b === 0x45) throw _fallback("a float with an exponent"); // e, E
        out[o++] = b;
      }
      return o;
    }
    case FINISH.timestamp:
    case FINISH.timestamptz: {
      // YYYY-MM-DD HH:MM:SS, a year from 1000 to 9999 (other DateStyles, BC and infinity do not match).
      if (
        e - s < 19 || b0 < 0x31 || b0 > 0x39 || input[s + 4] !== 0x2d || input[s + 7] !== 0x2d ||
        input[s + 10] !== 0x20 || input[s + 13] !== 0x3a || input[s + 16] !== 0x3a
      ) throw _fallback("a timestamp");
      for (let k = s; k < s + 19; k++) out[o++] = input[k]!;
      let k = s + 19;
      if (k < e && input[k] === 0x2e) { // .
        let m = k + 1;
        while (m < e && input[m]! >= _ZERO && input[m]! <= 0x39) m++;
        const digits = m - k - 1;
        if (digits === 0 || digits > 6) throw _fallback("a timestamp");
        for (; k < m; k++) out[o++] = input[k]!;
        for (let pad = (digits <= 3 ? 3 : 6) - digits; pad > 0; pad--) out[o++] = _ZERO;
      }
      if (how === FINISH.timestamptz) {
        // ±HH, ±HH:MM; an offset with seconds has no documented form.
        if (k + 3 > e || (input[k] !== 0x2b && input[k] !== 0x2d)) throw _fallback("a timestamp");
        out[o++] = input[k]!, out[o++] = input[k + 1]!, out[o++] = input[k + 2]!, out[o++] = 0x3a;
        k += 3;
        if (k + 3 <= e && input[k] === 0x3a) {
          out[o++] = input[k + 1]!, out[o++] = input[k + 2]!;
          k += 3;
        } else out[o++] = _ZERO, out[o++] = _ZERO;
      }
      if (k !== e) throw _fallback("a timestamp");
      return o;
    }
  }
  for (let k = s; k < e; k++) out[o++] = input[k]!;
  return o;
}

interface _Readable {
  on(event: string, fn: (arg?: unknown) => void): unknown;
  _read?(size: number): void;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

/**
 * Pull the COPY stream's rows, finished by `finisher`, in large batches with backpressure, and a `drain()` that
 * reads and drops the rest — never destroying the stream, which would leave the connection's socket paused
 * for good. The driver hands out one chunk per CopyData message, i.e. per row; each goes straight into the
 * finisher's batch.
 */
export function copyReader(stream: _Readable, finisher: CopyFinisher): {
  next(): Promise<Uint8Array | null>;
  ended(): boolean;
  drain(seconds: number): Promise<void>;
} {
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let dropping = false;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on("data", (chunk) => {
    if (dropping) return;
    try {
      finisher.push(chunk as Uint8Array);
    } catch (e) {
      // A value without a documented form: the rest is dropped, the step falls back.
      failure = e;
      dropping = true;
      poke();
      return;
    }
    if (finisher.size >= _BATCH_BYTES) {
      stream.pause();
      poke();
    }
  });
  const finish = () => {
    ended = true;
    poke();
  };
  stream.on("end", () => {
    // The driver pauses its socket when a push finds the stream full and resumes it only from `_read`, which
    // a stream no longer calls once the end was pushed: were the last bytes read before the server's
    // CommandComplete/ReadyForQuery arrived, the connection would wait for them forever (and `end()` with
    // it). Resume the socket once more.
    try {
      stream._read?.(0);
    } catch {
      // the connection is gone already: nothing to resume
    }
    finish();
  });
  stream.on("close", finish);
  stream.on("error", (e) => {
    failure ??= e ?? new Error("COPY stream failed");
    finish();
  });
  return {
    ended: () => ended,
    async next() {
      while (true) {
        if (failure) throw failure;
        if (finisher.size >= _BATCH_BYTES || (ended && finisher.size > 0)) {
          const out = finisher.take();
          if (!ended) stream.resume();
          return out;
        }
        if (ended) {
          finisher.end();
          return null;
        }
        stream.resume();
        // Woken by a full batch or the end; a slow server still gets its rows written every 200 ms.
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(poke, 200);
        });
        if (failure) throw failure;
        if (finisher.size > 0 && !ended && finisher.size < _BATCH_BYTES) return finisher.take();
      }
    },
    async drain(seconds) {
      dropping = true;
      if (ended) return;
      stream.resume();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => {
          const check = () => (ended ? r() : (wake = check));
          check();
        }),
        new Promise<void>((r) => (timer = setTimeout(r, seconds * 1000))),
      ]);
      clearTimeout(timer);
      if (!ended) stream.destroy();
    },
  };
}

/**
 * Cancel the statement a backend runs (PostgreSQL's CancelRequest on a fresh socket). npm `postgres` marks a
 * COPY query finished once its stream opens, after which its own `cancel()` no longer reaches the server.
 */
export async function sendCancelRequest(
  host: string,
  port: number,
  backend: { pid: number; secret: number } | null | undefined,
): Promise<void> {
  if (!backend) return;
  const msg = new DataView(new ArrayBuffer(16));
  msg.setInt32(0, 16);
  msg.setInt32(4, 80877102);
  msg.setInt32(8, backend.pid);
  msg.setInt32(12, backend.secret);
  const conn = host.startsWith("/")
    ? await Deno.connect({ transport: "unix", path: `${host}/.s.PGSQL.${port}` })
    : await Deno.connect({ hostname: host, port });
  try {
    const bytes = new Uint8Array(msg.buffer);
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    // The server closes the socket once it has the request.
    await conn.read(new Uint8Array(1)).catch(() => null);
  } finally {
    try {
      conn.close();
    } catch {
      // already closed by the server
    }
  }
}
