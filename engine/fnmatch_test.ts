import assert from "node:assert/strict";
import { fnmatch } from "./fnmatch.ts";

// [name, pattern, expected] — each row checked against Python's fnmatch.fnmatchcase.
const ROWS: [string, string, boolean][] = [
  ["a.csv", "*", true],
  ["", "*", true],
  ["a.csv", "*.csv", true],
  ["a.CSV", "*.csv", false], // case-sensitive
  ["sub/a.csv", "*.csv", true], // `*` crosses `/`
  ["sub/a.csv", "sub*", true],
  ["a.zip", "?.zip", true],
  ["ab.zip", "?.zip", false],
  ["a/b", "a?b", true],
  ["b.txt", "[abc].txt", true],
  ["d.txt", "[abc].txt", false],
  ["d.txt", "[!abc].txt", true],
  ["a.txt", "[!abc].txt", false],
  ["5", "[0-9]", true],
  ["x", "[0-9]", false],
  ["]", "[]]", true],
  ["a", "[!]]", true],
  ["]", "[!]]", false],
  ["-", "[a-]", true],
  ["[", "[", true], // an unclosed `[` is literal
  ["[ab", "[ab", true],
  ["a.b", "a.b", true],
  ["axb", "a.b", false], // `.` is literal
  ["a+b(1)", "a+b(1)", true],
  ["^$", "^$", true],
  ["a\\b", "a\\b", true], // no escaping: backslash is literal
  ["ü.csv", "?.csv", true], // one code point
  ["😀.csv", "?.csv", true],
  ["report 2024.xlsx", "report *.xlsx", true],
  ["z", "[z-a]", false], // reversed range matches nothing
  ["abc", "a**c", true],
  ["a/b/c", "**", true],
  ["", "", true],
  ["^", "[^a]", true], // `^` is a member, not a negation
  ["b", "[^a]", false],
  ["\\", "[\\]", true],
  ["x\n", "*\n", true], // `*` crosses newlines too
  ["part-1.txt", "part-?.txt", true], // a `-` outside a set is literal
  ["2024-01-02.csv", "2024-*.csv", true],
];

Deno.test("fnmatch follows Python fnmatchcase", () => {
  for (const [name, pattern, want] of ROWS) {
    assert.equal(fnmatch(name, pattern), want, `${JSON.stringify(name)} vs ${JSON.stringify(pattern)}`);
  }
});
