import assert from "node:assert/strict";
import { join } from "node:path";
import { SqlDecimal } from "../../connectors/kinds/db_values.ts";
import { type Dialect, encoderFor, rowFormatter, writeAtomically } from "./_tabular.ts";

const CSV: Dialect = {
  delimiter: ",",
  quotechar: '"',
  escapechar: null,
  doublequote: true,
  quoting: "minimal",
  linefeed: "\n",
};

Deno.test("minimal quoting: only cells with the delimiter, quote char, CR or LF are quoted, quotes doubled", () => {
  const f = rowFormatter(CSV);
  assert.equal(
    f(["a", 'b"c', "d,e", "f\ng", "h\ri", null, 1.5, true]),
    'a,"b""c","d,e","f\ng","h\ri",,1.5,true\n',
  );
  const tsv = rowFormatter({ ...CSV, delimiter: "\t" });
  assert.equal(tsv(["a\tb", "c,d"]), '"a\tb"\tc,d\n');
  assert.equal(f([""]), '""\n', "a lone empty field is quoted");
  assert.equal(rowFormatter({ ...CSV, linefeed: "\r\n" })(["x", "y"]), "x,y\r\n");
});

Deno.test("quoting all / nonnumeric / none, escapechar and doublequote false", () => {
  assert.equal(rowFormatter({ ...CSV, quoting: "all" })(["a", 1, null]), '"a","1",""\n');
  assert.equal(
    rowFormatter({ ...CSV, quoting: "nonnumeric" })(["a", 1, 2n, new SqlDecimal("1.10"), true, null]),
    '"a",1,2,1.10,"true",""\n',
  );
  assert.equal(
    rowFormatter({ ...CSV, quoting: "none", escapechar: "\\" })(["a,b", 'q"', "x"]),
    'a\\,b,q\\",x\n',
  );
  assert.throws(
    () => rowFormatter({ ...CSV, quoting: "none" })(["a,b", "c"]),
    /need to escape, but no escapechar set/,
  );
  assert.equal(rowFormatter({ ...CSV, doublequote: false, escapechar: "\\" })(['a"b', "c"]), '"a\\"b",c\n');
  assert.throws(() => rowFormatter({ ...CSV, doublequote: false })(['a"b', "c"]), /no escapechar set/);
});

Deno.test("encodings: utf-8, utf-8-sig with a BOM, latin-1 refusing what it cannot encode", () => {
  assert.deepEqual([...encoderFor("UTF_8_SIG").bom], [0xef, 0xbb, 0xbf]);
  assert.deepEqual([...encoderFor("latin-1").encode("é")], [0xe9]);
  assert.throws(() => encoderFor("latin-1").encode("€"), /can't encode character U\+20ac/);
  assert.throws(() => encoderFor("utf-16"), /Unsupported encoding: utf-16/);
});

Deno.test("atomic file: renamed with its sha256 on success; on failure neither output nor tmp remains", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "sub", "a.csv");
    const { sha256 } = await writeAtomically(
      out,
      async (f) => await f.write(new TextEncoder().encode("x\n")),
    );
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(out));
    assert.equal(sha256, [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    const out2 = join(dir, "b.csv");
    await assert.rejects(
      writeAtomically(out2, async (f) => {
        await f.write(new TextEncoder().encode("partial"));
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["sub"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
