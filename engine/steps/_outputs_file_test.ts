import assert from "node:assert/strict";
import { OUTPUTS_FILE_MAX_BYTES, parseOutputsFile } from "./_outputs_file.ts";

const CASES = [
  ["empty", "", {}],
  ["JSON where it parses, else text", 'a=3\nb=true\nc=null\nd=[1]\ne=x y\nf="q"\ng=1.5e+2', {
    a: 3,
    b: true,
    c: null,
    d: [1],
    e: "x y",
    f: "q",
    g: 150,
  }],
  ["the value is everything after the first =", "a=b=c\nempty=", { a: "b=c", empty: "" }],
  ["later entries win", 'a=1\na=2\n{"a": 3}', { a: 3 }],
  ["CRLF and blank lines", "a=1\r\n\r\nb=2\r\n", { a: 1, b: 2 }],
  ["one JSON object over several lines", '{\n  "a": 1,\n  "b": {"c": [true]}\n}\n', {
    a: 1,
    b: { c: [true] },
  }],
  ["heredoc", "msg<<END\nx=1\n{not json}\nEND\nn=2", { msg: "x=1\n{not json}", n: 2 }],
  ["heredoc value that is JSON", "n<<E\n42\nE", { n: 42 }],
] as const;

Deno.test("parseOutputsFile() reads key=value lines, JSON objects and heredocs", async (t) => {
  for (const [name, text, want] of CASES) {
    await t.step(name, () => assert.deepEqual(parseOutputsFile(text), want));
  }
});

const BAD = [
  ["no =", "just text", "line 1: expected key=value, key<<DELIM or a JSON object"],
  ["empty key", "=1", "line 1: expected key=value"],
  ["key not usable in a template", "a=1\n1a=2", "line 2: invalid key"],
  ["dotted key", "a.b=1", "line 1: invalid key"],
  ["a JSON line that is not an object", "[1, 2]", "line 1: expected key=value"],
  ["a broken JSON object line", 'a=1\n{"a": }', "line 2: not a JSON object"],
  ["a JSON object with a bad key", '{"a b": 1}', "line 1: invalid key"],
  ["an unclosed heredoc", "a<<EOF\nx", 'line 1: no closing line "EOF"'],
] as const;

Deno.test("parseOutputsFile() refuses malformed lines, naming the line", async (t) => {
  for (const [name, text, want] of BAD) {
    await t.step(name, () => {
      assert.throws(() => parseOutputsFile(text), (err: Error) => {
        assert.ok(err.message.includes(want), err.message);
        return true;
      });
    });
  }
  assert.throws(() => parseOutputsFile("a=" + "x".repeat(OUTPUTS_FILE_MAX_BYTES)), {
    message: /larger than/,
  });
});
