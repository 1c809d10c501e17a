// Row insertion as Excel does it, applied to A1 references in formula text (cell formulas, defined names,
// conditional-format rules): references at or below the insertion row move down, ranges that straddle it grow.
// exceljs moves cells but leaves formulas as written (docs/steps.md "Excel: rows inserted into a template").
import { columnNumber, MAX_COL, MAX_ROW } from "./_cells.ts";

/** Where rows go in: `count` rows before row `at` of `sheet`. */
export interface RowInsertion {
  sheet: string;
  at: number;
  count: number;
}

// An optional sheet prefix, then a cell/area (`$A$1`, `A1:B2`) or a row range (`3:5`). Not preceded by a
// character that would make it part of a name, a number or an external reference, not followed by `(` (a
// function such as LOG10) or by a name character.
const _REF_REGEXP = new RegExp(
  String.raw`(?<![\p{L}\p{N}_.$'\]!\uE000])` +
    String.raw`(?:(?<sheet>'(?:[^']|'')+'|[\p{L}_][\p{L}\p{N}_.]*)!)?` +
    String.raw`(?:(?<c1>\$?[A-Za-z]{1,3})(?<r1>\$?\d{1,7})(?::(?<c2>\$?[A-Za-z]{1,3})(?<r2>\$?\d{1,7}))?` +
    String.raw`|(?<rr1>\$?\d{1,7}):(?<rr2>\$?\d{1,7}))` +
    String.raw`(?![\p{L}\p{N}_(!.\[])`,
  "gu",
);

function _sheetOf(prefix: string | undefined, home: string): string {
  if (prefix === undefined) return home;
  return prefix.startsWith("'") ? prefix.slice(1, -1).replaceAll("''", "'") : prefix;
}

/** Shift one endpoint pair (top..bottom); returns undefined when a row leaves the grid. */
export function shiftSpan(top: number, bottom: number, ins: RowInsertion): [number, number] | undefined {
  let t = top;
  let b = bottom;
  if (t >= ins.at) t += ins.count;
  if (b >= ins.at) b += ins.count;
  return b > MAX_ROW ? undefined : [t, b];
}

function _row(raw: string): { abs: string; n: number } {
  return raw.startsWith("$") ? { abs: "$", n: Number(raw.slice(1)) } : { abs: "", n: Number(raw) };
}

function _validCol(raw: string): boolean {
  const n = columnNumber(raw.replace("$", ""));
  return n >= 1 && n <= MAX_COL;
}

function _shiftCode(code: string, home: string, ins: RowInsertion): string {
  const target = ins.sheet.toLowerCase();
  return code.replace(_REF_REGEXP, (whole, ...args) => {
    const g = args.at(-1) as Record<string, string | undefined>;
    if (_sheetOf(g.sheet, home).toLowerCase() !== target) return whole;
    const prefix = g.sheet === undefined ? "" : `${g.sheet}!`;
    if (g.rr1 !== undefined) {
      const a = _row(g.rr1);
      const b = _row(g.rr2!);
      const lo = Math.min(a.n, b.n);
      const hi = Math.max(a.n, b.n);
      const s = shiftSpan(lo, hi, ins);
      if (!s) return "#REF!";
      const [na, nb] = a.n <= b.n ? s : [s[1], s[0]];
      return `${prefix}${a.abs}${na}:${b.abs}${nb}`;
    }
    if (!_validCol(g.c1!) || (g.c2 !== undefined && !_validCol(g.c2))) return whole;
    const a = _row(g.r1!);
    if (g.c2 === undefined) {
      const s = shiftSpan(a.n, a.n, ins);
      return s ? `${prefix}${g.c1}${a.abs}${s[0]}` : "#REF!";
    }
    const b = _row(g.r2!);
    const s = shiftSpan(Math.min(a.n, b.n), Math.max(a.n, b.n), ins);
    if (!s) return "#REF!";
    const [na, nb] = a.n <= b.n ? s : [s[1], s[0]];
    return `${prefix}${g.c1}${a.abs}${na}:${g.c2}${b.abs}${nb}`;
  });
}

const _HOLE = "\uE000";

/**
 * `formula` with its references to `ins.sheet` adjusted for the inserted rows. `home` is the sheet the formula
 * lives on (unqualified references point there). String literals and bracketed parts (structured references,
 * external workbook indexes) are left as written.
 */
export function shiftFormulaRows(formula: string, home: string, ins: RowInsertion): string {
  // Literals are set aside (each replaced by one placeholder char) so the reference pattern never sees them.
  const literals: string[] = [];
  let code = "";
  let i = 0;
  const closing = (open: string, close: string): number => {
    let j = i + 1;
    let depth = 1;
    while (j < formula.length) {
      const c = formula[j]!;
      if (open === close) {
        if (c === close) {
          if (formula[j + 1] === close) j++;
          else return j;
        }
      } else if (c === open) depth++;
      else if (c === close && --depth === 0) return j;
      j++;
    }
    return formula.length - 1;
  };
  while (i < formula.length) {
    const ch = formula[i]!;
    if (ch === '"' || ch === "[") {
      const end = closing(ch, ch === "[" ? "]" : '"');
      literals.push(formula.slice(i, end + 1));
      code += _HOLE;
      i = end + 1;
    } else if (ch === "'") {
      // A quoted sheet name stays with the reference that follows it.
      const end = closing("'", "'");
      code += formula.slice(i, end + 1);
      i = end + 1;
    } else {
      code += ch;
      i++;
    }
  }
  let k = 0;
  return _shiftCode(code, home, ins).replace(/\uE000/g, () => literals[k++]!);
}
