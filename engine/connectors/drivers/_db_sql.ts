// SQL text helpers shared by the db drivers: `:name` parameters (SQLAlchemy `text()` style) found outside string
// literals, quoted identifiers, comments and dollar quotes, and rewritten to a driver's positional markers.
import { AetherflowError, EXIT } from "../../errors.ts";

/** A `:name` bind parameter in SQL text. */
export interface NamedParam {
  name: string;
  start: number;
  end: number;
}

const _WORD = /[A-Za-z0-9_]/;
const _NAME_START = /[A-Za-z_]/;

/**
 * Every `:name` outside quotes and comments. `::` (casts), `:=` and a colon after a word character are not
 * parameters; `\:` is an escaped colon (kept as `:` by `bindNamed`).
 */
export function scanNamedParams(sql: string): NamedParam[] {
  const out: NamedParam[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === "`") {
      i = _skipQuoted(sql, i, c);
    } else if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === "$") {
      i = _skipDollar(sql, i);
    } else if (c === "\\" && sql[i + 1] === ":") {
      i += 2;
    } else if (c === ":") {
      const prev = i > 0 ? sql[i - 1]! : "";
      if (sql[i + 1] === ":") {
        i += 2; // a cast `::type`
        continue;
      }
      if (prev !== ":" && !_WORD.test(prev) && _NAME_START.test(sql[i + 1] ?? "")) {
        let j = i + 2;
        while (j < n && _WORD.test(sql[j]!)) j++;
        // `:name::type` is a parameter and a cast [ours]; `:a:b` is not a parameter.
        if (sql[j] !== ":" || sql[j + 1] === ":") out.push({ name: sql.slice(i + 1, j), start: i, end: j });
        i = j;
        continue;
      }
      i++;
    } else i++;
  }
  return out;
}

function _skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2; // doubled quote
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

const _DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

function _skipDollar(sql: string, start: number): number {
  if (start > 0 && _WORD.test(sql[start - 1]!)) return start + 1; // part of an identifier
  const m = _DOLLAR_TAG.exec(sql.slice(start, start + 64));
  if (!m) return start + 1; // `$1` and the like
  const close = sql.indexOf(m[0], start + m[0].length);
  return close < 0 ? sql.length : close + m[0].length;
}

/**
 * Rewrite `:name` parameters to positional markers (`marker(index)`, 1-based; a repeated name reuses its index
 * when `reuse` is set, else repeats the value). A list of params is passed through unchanged (positional SQL).
 * @throws {AetherflowError} `SQL parameter :<name> has no value in params`.
 */
export function bindNamed(
  sql: string,
  params: unknown,
  marker: (index: number) => string,
  options: { reuse: boolean },
): { sql: string; values: unknown[] } {
  if (Array.isArray(params)) return { sql, values: params };
  const map = (params ?? {}) as Record<string, unknown>;
  const found = scanNamedParams(sql);
  if (found.length === 0) return { sql: _unescapeColons(sql), values: [] };
  const values: unknown[] = [];
  const index = new Map<string, number>();
  let out = "";
  let last = 0;
  for (const p of found) {
    if (!Object.hasOwn(map, p.name)) {
      throw new AetherflowError(`SQL parameter :${p.name} has no value in params`, {
        code: "db:params",
        exitCode: EXIT.FAILED,
      });
    }
    let at = options.reuse ? index.get(p.name) : undefined;
    if (at === undefined) {
      values.push(map[p.name]);
      at = values.length;
      index.set(p.name, at);
    }
    out += _unescapeColons(sql.slice(last, p.start)) + marker(at);
    last = p.end;
  }
  return { sql: out + _unescapeColons(sql.slice(last)), values };
}

/** Names of `:name` parameters the SQL uses that `params` lacks (drivers binding natively check this first). */
export function missingParams(sql: string, params: unknown): string[] {
  if (Array.isArray(params)) return [];
  const map = (params ?? {}) as Record<string, unknown>;
  return [...new Set(scanNamedParams(sql).map((p) => p.name))].filter((n) => !Object.hasOwn(map, n));
}

/** Fail on the first `:name` without a value. */
export function requireParams(sql: string, params: unknown): void {
  const missing = missingParams(sql, params);
  if (missing.length > 0) {
    throw new AetherflowError(`SQL parameter :${missing[0]} has no value in params`, {
      code: "db:params",
      exitCode: EXIT.FAILED,
    });
  }
}

function _unescapeColons(text: string): string {
  return text.includes("\\:") ? text.replaceAll("\\:", ":") : text;
}
