import assert from "node:assert/strict";
import { CsvParser, type ReadDialect } from "./_csv_reader.ts";

const CSV: ReadDialect = {
  delimiter: ",",
  quotechar: '"',
  escapechar: null,
  doublequote: true,
  quoting: "minimal",
};

/** Every record of `text`, fed in pieces of `size` characters (so each state is crossed at a chunk edge). */
function parse(text: string, dialect: ReadDialect = CSV, size = text.length || 1): unknown[][] {
  const p = new CsvParser(dialect);
  const out: unknown[][] = [];
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  out.push(...p.end());
  return out;
}

const CASES: [string, string, unknown[][], Partial<ReadDialect>?][] = [
  ["plain records", "a,b\n1,2\n", [["a", "b"], ["1", "2"]]],
  ["no line end after the last record", "a,b\n1,2", [["a", "b"], ["1", "2"]]],
  ["CRLF and lone CR end records", "a\r\nb\rc\n", [["a"], ["b"], ["c"]]],
  ["a blank line is an empty record", "a\n\nb\n", [["a"], [], ["b"]]],
  ["empty fields", ",a,\n", [["", "a", ""]]],
  ["quoted delimiter, quote and newline", '"a,b","say ""hi""","x\ny"\n', [["a,b", 'say "hi"', "x\ny"]]],
  ["a quote inside an unquoted field is text", 'ab"c,d\n', [['ab"c', "d"]]],
  ["text after a closing quote is kept", '"a"b,c\n', [["ab", "c"]]],
  ["a quoted empty field", '"",x\n', [["", "x"]]],
  ["tab delimiter", "a\tb c\n", [["a", "b c"]], { delimiter: "\t" }],
  ["escapechar outside and inside quotes", 'a\\,b,"c\\"d"\n', [["a,b", 'c"d']], {
    escapechar: "\\",
    doublequote: false,
  }],
  ["quoting none keeps quotes as text", '"a",b\n', [['"a"', "b"]], { quoting: "none" }],
  ["nonnumeric reads unquoted fields as numbers", '1,"2",,3.5\n', [[1, "2", null, 3.5]], {
    quoting: "nonnumeric",
  }],
];

Deno.test("CsvParser reads the classic CSV dialect", async (t) => {
  for (const [name, text, want, dialect] of CASES) {
    await t.step(name, () => {
      const d = { ...CSV, ...dialect };
      assert.deepEqual(parse(text, d), want);
      // The same records whatever the chunk boundaries.
      for (let size = 1; size <= 4; size++) assert.deepEqual(parse(text, d, size), want, `chunks of ${size}`);
    });
  }
});

Deno.test("CsvParser reports an unterminated quoted field and a non-number under nonnumeric", () => {
  assert.throws(() => parse('a\n"open,b\n'), /record 2: unexpected end of data inside a quoted field/);
  assert.throws(() => parse("x\n", { ...CSV, quoting: "nonnumeric" }), /record 1: could not convert/);
});
