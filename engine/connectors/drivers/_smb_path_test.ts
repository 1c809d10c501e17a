import assert from "node:assert/strict";
import { parseSmbPath } from "./_smb_path.ts";

const ROWS: [string, string | null, string | null, string[]][] = [
  ["dir/f.csv", null, null, ["dir", "f.csv"]],
  ["/dir/f.csv", null, null, ["dir", "f.csv"]],
  ["\\dir\\f.csv", null, null, ["dir", "f.csv"]],
  ["Produktion:/DIAS/a b/ü.zip", null, "Produktion", ["DIAS", "a b", "ü.zip"]],
  ["Produktion:\\DIAS\\x", null, "Produktion", ["DIAS", "x"]],
  ["my.share-1:/x", null, "my.share-1", ["x"]],
  ["C:\\dir\\f", null, null, ["dir", "f"]], // a one-letter prefix is a drive
  ["c:/dir/f", null, null, ["dir", "f"]],
  ["\\\\fs01\\Produktion\\DIAS\\f", "fs01", "Produktion", ["DIAS", "f"]],
  ["//fs01/share", "fs01", "share", []],
  ["", null, null, []],
  ["/", null, null, []],
  ["a//b/./c/../d/", null, null, ["a", "b", "d"]],
  ["../../etc", null, null, ["etc"]], // never above the share root
];

Deno.test("parseSmbPath reads every documented path form", () => {
  for (const [raw, host, share, parts] of ROWS) {
    assert.deepEqual(parseSmbPath(raw), { host, share, parts }, raw);
  }
});
