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
    const q = d.quoting === "none" ? null : d.quotechar;
    const esc = d.escapechar;
    const delim = d.delimiter;
    let i = 0;
    const n = text.length;
    if (this.#skipLf && n > 0) {
      if (text[0] === "\n") i = 1;
      this.#skipLf = false;
    }
    for (; i < n; i++) {
      const c = text[i]!;
      switch (this.#state) {
        case _S.StartRecord:
          if (c === "\n" || c === "\r") {
            this.#endRecord();
            if (c === "\r") {
              if (i + 1 < n) {
                if (text[i + 1] === "\n") i++;
              } else this.#skipLf = true;
            }
            continue;
          }
          this.#state = _S.StartField;
        // falls through
        case _S.StartField:
          if (c === q) {
            this.#state = _S.InQuoted;
            this.#quoted = true;
            continue;
          }
          this.#state = _S.InField;
        // falls through
        case _S.InField: {
          // Fast path: copy a run of ordinary characters at once.
          let j = i;
          while (j < n) {
            const x = text[j]!;
            if (x === delim || x === "\n" || x === "\r" || x === esc) break;
            j++;
          }
          if (j > i) {
            this.#field += text.slice(i, j);
            i = j - 1;
            continue;
          }
          if (c === esc) this.#state = _S.Escaped;
          else if (c === delim) {
            this.#saveField();
            this.#state = _S.StartField;
          } else {
            this.#saveField();
            this.#endRecord();
            if (c === "\r") {
              if (i + 1 < n) {
                if (text[i + 1] === "\n") i++;
              } else this.#skipLf = true;
            }
          }
          continue;
        }
        case _S.InQuoted: {
          let j = i;
          while (j < n) {
            const x = text[j]!;
            if (x === q || x === esc) break;
            j++;
          }
          if (j > i) {
            this.#field += text.slice(i, j);
            i = j - 1;
            continue;
          }
          if (c === esc) this.#state = _S.EscapeInQuoted;
          else this.#state = d.doublequote ? _S.QuoteInQuoted : _S.InField;
          continue;
        }
        case _S.EscapeInQuoted:
          this.#field += c;
          this.#state = _S.InQuoted;
          continue;
        case _S.Escaped:
          this.#field += c;
          this.#state = _S.InField;
          continue;
        case _S.QuoteInQuoted:
          if (c === q) {
            this.#field += c;
            this.#state = _S.InQuoted;
          } else if (c === delim) {
            this.#saveField();
            this.#state = _S.StartField;
          } else if (c === "\n" || c === "\r") {
            this.#saveField();
            this.#endRecord();
            if (c === "\r") {
              if (i + 1 < n) {
                if (text[i + 1] === "\n") i++;
              } else this.#skipLf = true;
            }
          } else {
            // Lenient: text after a closing quote is kept (`"a"b` -> `ab`).
            this.#field += c;
            this.#state = _S.InField;
          }
          continue;
      }
    }
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
    const out = this.#out;
    this.#out = [];
    return out;
  }
}
