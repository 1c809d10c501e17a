// A streaming reader for the classic CSV dialect (delimiter, quotechar, escapechar, doublequote, quoting — the
// semantics of Python's csv module in its default, lenient mode): text goes in by chunks, records come out.
// `\n`, `\r` and `\r\n` end a record outside quotes; a blank line is an empty record.

export type ReadQuoting = "minimal" | "all" | "none" | "nonnumeric";

export interface ReadDialect {
  delimiter: string;
  quotechar: string;
  escapechar: string | null;
  doublequote: boolean;
  quoting: ReadQuoting;
}

const enum _S {
  StartRecord,
  StartField,
  InField,
  InQuoted,
  EscapeInQuoted,
  QuoteInQuoted,
  Escaped,
}

/** Thrown for malformed input; the caller adds the file name. */
export class CsvSyntaxError extends Error {}

/** Incremental parser: `push(text)` returns the records completed so far, `end()` the last one. */
export class CsvParser {
  #d: ReadDialect;
  #state = _S.StartRecord;
  #field = "";
  #quoted = false;
  #record: unknown[] = [];
  #skipLf = false;
  #out: unknown[][] = [];
  /** 1-based record number being read (for messages). */
  #line = 1;

  constructor(dialect: ReadDialect) {
    this.#d = dialect;
  }

  #saveField(): void {
    let v: unknown = this.#field;
    if (this.#d.quoting === "nonnumeric" && !this.#quoted) {
      if (this.#field === "") v = null;
      else {
        const n = Number(this.#field.trim());
        if (this.#field.trim() === "" || Number.isNaN(n)) {
          throw new CsvSyntaxError(`record ${this.#line}: could not convert an unquoted field to a number`);
        }
        v = n;
      }
    }
    this.#record.push(v);
    this.#field = "";
    this.#quoted = false;
  }

  #endRecord(): void {
    this.#out.push(this.#record);
    this.#record = [];
    this.#state = _S.StartRecord;
    this.#line++;
  }

  push(text: string): unknown[][] {
    const d = this.#d;
    const Q = d.quoting === "none" ? -1 : d.quotechar.charCodeAt(0);
    const E = d.escapechar === null ? -1 : d.escapechar.charCodeAt(0);
    const D = d.delimiter.charCodeAt(0);
    const n = text.length;
    let i = 0;
    if (this.#skipLf && n > 0) {
      if (text.charCodeAt(0) === 10) i = 1;
      this.#skipLf = false;
    }
    // After a CR that ends a record, a directly following LF belongs to it (also across chunks).
    const eatLf = (at: number): number => {
      if (at + 1 < n) return text.charCodeAt(at + 1) === 10 ? at + 2 : at + 1;
      this.#skipLf = true;
      return at + 1;
    };
    while (i < n) {
      switch (this.#state) {
        case _S.StartRecord: {
          const c = text.charCodeAt(i);
          if (c === 10 || c === 13) {
            this.#endRecord();
            i = c === 13 ? eatLf(i) : i + 1;
            continue;
          }
          this.#state = _S.StartField;
          continue;
        }
        case _S.StartField:
          if (text.charCodeAt(i) === Q) {
            this.#state = _S.InQuoted;
            this.#quoted = true;
            i++;
            continue;
          }
          this.#state = _S.InField;
          continue;
        case _S.InField: {
          let j = i;
          let c = -1;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === D || c === 10 || c === 13 || c === E) break;
            j++;
          }
          if (j > i) this.#field += text.slice(i, j);
          if (j === n) return this.#drain();
          if (c === E) {
            this.#state = _S.Escaped;
            i = j + 1;
          } else if (c === D) {
            this.#saveField();
            this.#state = _S.StartField;
            i = j + 1;
          } else {
            this.#saveField();
            this.#endRecord();
            i = c === 13 ? eatLf(j) : j + 1;
          }
          continue;
        }
        case _S.InQuoted: {
          let j = i;
          let c = -1;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === Q || c === E) break;
            j++;
          }
          if (j > i) this.#field += text.slice(i, j);
          if (j === n) return this.#drain();
          this.#state = c === E ? _S.EscapeInQuoted : d.doublequote ? _S.QuoteInQuoted : _S.InField;
          i = j + 1;
          continue;
        }
        case _S.EscapeInQuoted:
          this.#field += text[i];
          this.#state = _S.InQuoted;
          i++;
          continue;
        case _S.Escaped:
          this.#field += text[i];
          this.#state = _S.InField;
          i++;
          continue;
        case _S.QuoteInQuoted: {
          const c = text.charCodeAt(i);
          if (c === Q) {
            this.#field += text[i];
            this.#state = _S.InQuoted;
            i++;
          } else if (c === D) {
            this.#saveField();
            this.#state = _S.StartField;
            i++;
          } else if (c === 10 || c === 13) {
            this.#saveField();
            this.#endRecord();
            i = c === 13 ? eatLf(i) : i + 1;
          } else {
            // Lenient: text after a closing quote is kept (`"a"b` -> `ab`).
            this.#field += text[i];
            this.#state = _S.InField;
            i++;
          }
          continue;
        }
      }
    }
    return this.#drain();
  }

  #drain(): unknown[][] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Finish the input: the last record without a line end, or an error for an open quote. */
  end(): unknown[][] {
    switch (this.#state) {
      case _S.StartRecord:
        break;
      case _S.InQuoted:
      case _S.EscapeInQuoted:
        throw new CsvSyntaxError(`record ${this.#line}: unexpected end of data inside a quoted field`);
      default:
        this.#saveField();
        this.#endRecord();
    }
    return this.#drain();
  }
}
