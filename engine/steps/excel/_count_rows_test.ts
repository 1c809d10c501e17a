import assert from "node:assert/strict";
import { join } from "node:path";
import { countRows } from "./_count_rows.ts";
import type { SourceSpec } from "./_sources.ts";
import { excelWork } from "./_test_kit.ts";

let _n = 0;

async function spec(dir: string, text: string, encoding = "utf-8"): Promise<SourceSpec> {
  const path = join(dir, `s${_n++}.csv`);
  await Deno.writeTextFile(path, text);
  return {
    path,
    format: "csv",
    encoding,
    dialect: { delimiter: ",", quotechar: '"', escapechar: null, doublequote: true, quoting: "minimal" },
  };
}

Deno.test("countRows() fast mode counts line ends, a last line without one, minus the header", async () => {
  await using w = await excelWork();
  const fast = { mode: "fast", linefeed: "\n", readHeader: true };
  assert.equal(await countRows(await spec(w.root, "h\n1\n2\n"), fast), 2);
  assert.equal(await countRows(await spec(w.root, "h\n1\n2"), fast), 2);
  assert.equal(await countRows(await spec(w.root, ""), fast), 0);
  assert.equal(await countRows(await spec(w.root, "h\n"), fast), 0);
  assert.equal(await countRows(await spec(w.root, "h\n1\n"), { ...fast, readHeader: false }), 2);
  // A quoted newline counts in fast mode (the documented hazard), not with csv_parse.
  const quoted = await spec(w.root, 'h\n"a\nb"\n');
  assert.equal(await countRows(quoted, fast), 2);
  assert.equal(await countRows(quoted, { ...fast, mode: "csv_parse" }), 1);
});

Deno.test("countRows() finds a CRLF that spans two read chunks", async () => {
  await using w = await excelWork();
  // The reader uses 1 MiB chunks: put a CR as the last byte of the first chunk.
  const first = "x".repeat((1 << 20) - 1) + "\r";
  const s = await spec(w.root, first + "\n1\r\n2\r\n");
  assert.equal(await countRows(s, { mode: "fast", linefeed: "\r\n", readHeader: true }), 2);
});

Deno.test("countRows() refuses UTF-16 in fast mode, an empty linefeed and unknown modes", async () => {
  await using w = await excelWork();
  const s = await spec(w.root, "h\n1\n");
  await assert.rejects(
    () => countRows({ ...s, encoding: "utf-16" }, { mode: "fast", linefeed: "\n", readHeader: true }),
    /fast row counting does not support utf-16\/utf-32; use count_mode=csv_parse/,
  );
  await assert.rejects(
    () => countRows(s, { mode: "fast", linefeed: "", readHeader: true }),
    /linefeed must be non-empty/,
  );
  await assert.rejects(
    () => countRows(s, { mode: "guess", linefeed: "\n", readHeader: true }),
    /Unsupported count_mode for CSV\/TSV: guess/,
  );
});
