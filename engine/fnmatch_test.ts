import assert from "node:assert/strict";
import { fnmatch } from "./fnmatch.ts";

// Rows checked against Python 3 fnmatch.fnmatchcase.
const CASES = [
  ["*.csv", "a.csv", true],
  ["*.csv", "dir/a.csv", true], // `*` matches `/`
  ["*.csv", "a.csv.tmp", false],
  ["part-?.txt", "part-1.txt", true],
  ["part-?.txt", "part-10.txt", false],
  ["[ab].txt", "b.txt", true],
  ["[!ab].txt", "a.txt", false],
  ["[!ab].txt", "c.txt", true],
  ["[a-c]x", "bx", true],
  ["[a-c]x", "dx", false],
  ["[]]", "]", true],
  ["[!]]", "]", false],
  ["[!]]", "a", true],
  ["[^a]", "^", true],
  ["[^a]", "b", false],
  ["[\\]", "\\", true],
  ["[", "[", true],
  ["a[b", "a[b", true],
  ["a.b", "axb", false],
  ["(x)+", "(x)+", true],
  ["**", "a/b/c", true],
  ["", "", true],
  ["A*", "a", false], // case-sensitive
  ["*\n", "x\n", true],
] as const;

Deno.test("fnmatch() follows Python's fnmatch: * crosses /, [seq], [!seq], literal [", async (t) => {
  for (const [pattern, name, want] of CASES) {
    await t.step(`${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`, () => {
      assert.equal(fnmatch(name, pattern), want);
    });
  }
});
