// Writers of the db steps: the classic CSV dialect (delimiter, quotechar, escapechar, doublequote, quoting,
// line terminator — the semantics of Python's csv module, docs/steps.md "db_extract_stream"), JSON lines, and
// the atomic output file: bytes go to `<output>.tmp` with a running SHA-256, renamed over `output` on success,
// removed on any failure.
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { StepError } from "../../errors.ts";
import { isNumeric, jsonOf, textOf } from "../../connectors/kinds/db_values.ts";

export type Quoting = "minimal" | "all" | "none" | "nonnumeric";

export interface Dialect {
  delimiter: string;
  quotechar: string;
  escapechar: string | null;
  doublequote: boolean;
  quoting: Quoting;
  linefeed: string;
}

function _escapeClass(chars: string): string {
  return [...new Set(chars)].map((c) => c.replace(/[\\\]^-]/g, "\\$&")).join("");
}

/** A function that renders one row as a line (terminator included), following the dialect. */
export function rowFormatter(d: Dialect): (row: readonly unknown[]) => string {
  const special = d.delimiter + d.quotechar + "\r\n" + d.linefeed + (d.escapechar ?? "");
  const needs = new RegExp(`[${_escapeClass(special)}]`);
  const quoteRe = new RegExp(_escapeClass(d.quotechar).replace(/^/, "[").concat("]"), "g");
  const q = d.quotechar;
  const esc = d.escapechar;
  // Inside quotes only the quote char (and the escape char) need treatment.
  const inQuotes = esc === null ? null : new RegExp(`[${_escapeClass(q + esc)}]`, "g");
  const unquotedSpecials = new RegExp(`[${_escapeClass(special)}]`, "g");

  const quoted = (s: string): string => {
    if (d.doublequote) {
      const body = s.includes(q) ? s.replace(quoteRe, q + q) : s;
      return q + (esc !== null && body.includes(esc) ? body.replaceAll(esc, esc + esc) : body) + q;
    }
    if (inQuotes === null) {
      if (s.includes(q)) {
        throw new StepError("csv: need to escape the quote character, but no escapechar set");
      }
      return q + s + q;
    }
    return q + s.replace(inQuotes, (c) => esc + c) + q;
  };
  const bare = (s: string): string => {
    if (!needs.test(s)) return s;
    if (esc === null) {
      throw new StepError("csv: need to escape, but no escapechar set (quoting: none)");
    }
    return s.replace(unquotedSpecials, (c) => esc + c);
  };
  const cell = (v: unknown): string => {
    const s = textOf(v);
    switch (d.quoting) {
      case "all":
        return quoted(s);
      case "nonnumeric":
        return isNumeric(v) && s !== "" ? bare(s) : quoted(s);
      case "none":
        return bare(s);
      default:
        return needs.test(s) ? quoted(s) : s;
    }
  };
  return (row) => {
    const n = row.length;
    if (n === 1) {
      const only = cell(row[0]);
      // A lone empty field is written quoted, so the line is not read back as "no fields".
      if (only === "") {
        if (d.quoting === "none") throw new StepError("csv: single empty field record must be quoted");
        return q + q + d.linefeed;
      }
      return only + d.linefeed;
    }
    let line = "";
    for (let i = 0; i < n; i++) {
      if (i > 0) line += d.delimiter;
      line += cell(row[i]);
    }
    return line + d.linefeed;
  };
}

/** One JSON line per row, keyed by column (values in their JSON form). */
export function jsonlFormatter(columns: readonly string[]): (row: readonly unknown[]) => string {
  return (row) => {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) obj[columns[i]!] = jsonOf(row[i]);
    return JSON.stringify(obj) + "\n";
  };
}

/** Text encoders by the `encoding` input (Python codec names). */
export function encoderFor(encoding: string): { bom: Uint8Array; encode: (s: string) => Uint8Array } {
  const e = encoding.trim().toLowerCase().replace(/_/g, "-");
  const utf8 = new TextEncoder();
  if (e === "utf-8" || e === "utf8") return { bom: new Uint8Array(), encode: (s) => utf8.encode(s) };
  if (e === "utf-8-sig") return { bom: new Uint8Array([0xef, 0xbb, 0xbf]), encode: (s) => utf8.encode(s) };
  const max = e === "ascii" || e === "us-ascii"
    ? 0x7f
    : ["latin-1", "latin1", "iso-8859-1", "iso8859-1"].includes(e)
    ? 0xff
    : -1;
  if (max < 0) {
    throw new StepError(`Unsupported encoding: ${encoding} (use utf-8, utf-8-sig, latin-1 or ascii)`);
  }
  return {
    bom: new Uint8Array(),
    encode(s) {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > max) {
          throw new StepError(
            `'${encoding}' codec can't encode character U+${c.toString(16).padStart(4, "0")}`,
          );
        }
        out[i] = c;
      }
      return out;
    },
  };
}

/**
 * An output file written atomically: bytes go to `<path>.tmp` (parents created), `commit()` renames it over
 * `path` and returns the SHA-256 of what was written; `abort()` removes the tmp (used on every failure).
 */
export class AtomicFile {
  readonly tmpPath: string;
  #file: Deno.FsFile | null = null;
  #hash = createHash("sha256");
  bytes = 0;

  private constructor(readonly path: string) {
    this.tmpPath = `${path}.tmp`;
  }

  static async create(path: string): Promise<AtomicFile> {
    const f = new AtomicFile(path);
    await Deno.mkdir(dirname(path), { recursive: true });
    f.#file = await Deno.open(f.tmpPath, { write: true, create: true, truncate: true });
    return f;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    let off = 0;
    while (off < chunk.length) off += await this.#file!.write(chunk.subarray(off));
  }

  /** fsync, close, rename; the hex SHA-256 of the content. */
  async commit(): Promise<string> {
    const f = this.#file!;
    this.#file = null;
    await f.sync();
    f.close();
    await Deno.rename(this.tmpPath, this.path);
    return this.#hash.digest("hex");
  }

  async abort(): Promise<void> {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = null;
    await Deno.remove(this.tmpPath).catch(() => {});
  }
}

/** Run `write` against an AtomicFile; the tmp is removed when it throws. */
export async function writeAtomically<T>(
  path: string,
  write: (file: AtomicFile) => Promise<T>,
): Promise<{ result: T; sha256: string }> {
  const file = await AtomicFile.create(path);
  try {
    const result = await write(file);
    return { result, sha256: await file.commit() };
  } catch (err) {
    await file.abort();
    throw err;
  }
}
