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
 * The COPY statement that renders `sql` as CSV exactly as the cursor path would, or null when it cannot
 * (parameters, a single column, an unknown column type, a statement that is not a query, or a dialect COPY
 * does not share). Data-modifying CTEs fail inside a sub-select; the driver falls back on any error raised
 * before the first row.
 */
export function postgresCopySql(
  sql: string,
  oids: readonly number[],
  dialect: { delimiter: string; quotechar: string },
): string | null {
  // A lone column is written `""` when empty by the step (COPY would write an empty line).
  if (oids.length < 2) return null;
  if (!_SELECTISH.test(sql)) return null;
  const { delimiter: d, quotechar: q } = dialect;
  if (!_copyChar(d) && d !== "\t") return null;
  if (!_copyChar(q) || q === d) return null;
  const cells: string[] = [];
  for (let i = 0; i < oids.length; i++) {
    const cell = _CELL[oids[i]!];
    if (!cell) return null;
    cells.push(cell(`_af.c${i + 1}`));
  }
  const body = sql.replace(/[\s;]+$/, "");
  const names = oids.map((_, i) => `c${i + 1}`).join(", ");
  const lit = (c: string) => c === "\t" ? "E'\\t'" : `'${c.replace(/'/g, "''")}'`;
  return `COPY (SELECT ${cells.join(", ")} FROM (${body}\n) AS _af(${names})) TO STDOUT ` +
    `(FORMAT csv, DELIMITER ${lit(d)}, QUOTE ${lit(q)}, NULL '')`;
}

/** Whether a server error asks for the cursor path (the marked cast of `postgresCopySql`). */
export function isCopyFallback(e: unknown): boolean {
  return String((e as { message?: unknown })?.message ?? "").includes(COPY_FALLBACK_MARK);
}

interface _Readable {
  on(event: string, fn: (arg?: unknown) => void): unknown;
  _read?(size: number): void;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

// The driver hands out one chunk per CopyData message, i.e. per row: chunks are joined up to this many bytes
// so that the file gets large writes, and the stream is paused (which pauses the socket) beyond it.
const _BATCH_BYTES = 1 << 20;

/**
 * Pull the COPY stream's bytes in large pieces with backpressure, and a `drain()` that reads and drops the
 * rest — never destroying the stream, which would leave the connection's socket paused for good.
 */
export function copyReader(stream: _Readable): {
  next(): Promise<Uint8Array | null>;
  ended(): boolean;
  drain(seconds: number): Promise<void>;
} {
  let queue: Uint8Array[] = [];
  let queued = 0;
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
    const c = chunk as Uint8Array;
    queue.push(c);
    queued += c.length;
    if (queued >= _BATCH_BYTES) {
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
    failure = e ?? new Error("COPY stream failed");
    finish();
  });
  const take = (): Uint8Array => {
    const out = new Uint8Array(queued);
    let off = 0;
    for (const c of queue) {
      out.set(c, off);
      off += c.length;
    }
    queue = [];
    queued = 0;
    return out;
  };
  return {
    ended: () => ended,
    async next() {
      while (true) {
        if (queued >= _BATCH_BYTES || (ended && queued > 0)) {
          const out = take();
          if (!ended) stream.resume();
          return out;
        }
        if (failure) throw failure;
        if (ended) return null;
        stream.resume();
        // Woken by a full batch or the end; a slow server still gets its rows written every 200 ms.
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(poke, 200);
        });
        if (queued > 0 && !ended && queued < _BATCH_BYTES) {
          const out = take();
          return out;
        }
      }
    },
    async drain(seconds) {
      dropping = true;
      queue = [];
      queued = 0;
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
