import assert from "node:assert/strict";
import { shiftFormulaRows } from "./_formula_shift.ts";

const INS = { sheet: "Invoice", at: 7, count: 3 };

const CASES = [
  ["a reference above the insertion stays", "B6*C6", "Invoice", "B6*C6"],
  ["a reference at the insertion row moves", "B7*$C$7", "Invoice", "B10*$C$10"],
  ["a range that straddles the insertion grows", "SUM(D6:D7)", "Invoice", "SUM(D6:D10)"],
  ["a range below moves", "SUM($D$8:D9)", "Invoice", "SUM($D$11:D12)"],
  ["a range above stays", "SUM(D1:D6)", "Invoice", "SUM(D1:D6)"],
  ["row ranges follow the same rule", "SUM(6:8)+ROWS($9:$9)", "Invoice", "SUM(6:11)+ROWS($12:$12)"],
  ["column ranges never move", "SUM(A:A)", "Invoice", "SUM(A:A)"],
  ["another sheet's references stay", "Other!A9+A9", "Invoice", "Other!A9+A12"],
  [
    "qualified references from another sheet move",
    "Invoice!D8*2+'Invoice'!$B$9",
    "Other",
    "Invoice!D11*2+'Invoice'!$B$12",
  ],
  ["sheet names compare case-free", "invoice!D8", "Other", "invoice!D11"],
  ["unqualified references on another sheet stay", "D8*2", "Other", "D8*2"],
  ["string literals are left alone", '"A9"&A9&"x""B9"', "Invoice", '"A9"&A12&"x""B9"'],
  [
    "functions that look like cells are left alone",
    "LOG10(A8)+ATAN2(1,2)",
    "Invoice",
    "LOG10(A11)+ATAN2(1,2)",
  ],
  ["numbers with exponents are left alone", "1E10+2.5E8*A8", "Invoice", "1E10+2.5E8*A11"],
  ["external references are left alone", "[1]Invoice!A9+A9", "Invoice", "[1]Invoice!A9+A12"],
  ["structured references are left alone", "SUM(Table1[Q9])+A9", "Invoice", "SUM(Table1[Q9])+A12"],
  ["a quoted sheet name with a quote", "'It''s'!A9+'Invoice'!A9", "Other", "'It''s'!A9+'Invoice'!A12"],
  ["names are not references", "MyName9+TAX_2024", "Invoice", "MyName9+TAX_2024"],
  ["beyond Excel's columns is a name", "ZZZ9", "Invoice", "ZZZ9"],
  ["a reversed range keeps its order", "SUM(D9:D6)", "Invoice", "SUM(D12:D6)"],
] as const;

Deno.test("shiftFormulaRows() adjusts references the way Excel inserts rows", async (t) => {
  for (const [name, formula, home, want] of CASES) {
    await t.step(name, () => assert.equal(shiftFormulaRows(formula, home, INS), want));
  }
});

Deno.test("shiftFormulaRows() turns a reference pushed off the grid into #REF!", () => {
  assert.equal(shiftFormulaRows("A1048576+1", "S", { sheet: "S", at: 5, count: 1 }), "#REF!+1");
});
