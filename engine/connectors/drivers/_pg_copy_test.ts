// When the PostgreSQL COPY path of db_extract_stream is taken, and how the client finishes the cells the server
// prints plainly (docs/steps.md "The COPY path"); the bytes it writes are compared with the cursor path's
// against a real server in tests/db_servers_test.ts.
import assert from "node:assert/strict";
import { CopyFinisher, FINISH, isCopyFallback, postgresCopyPlan } from "./_pg_copy.ts";

const CSV = { delimiter: ",", quotechar: '"' };
const sqlOf = (sql: string, oids: number[], dialect = CSV) =>
  postgresCopyPlan(sql, oids, dialect)?.sql ?? null;

Deno.test("postgres COPY statement: wraps the query, renames its columns, keeps the dialect", () => {
  const plan = postgresCopyPlan("select a, b from t;  \n", [23, 25], CSV)!;
  assert.match(plan.sql, /^COPY \(SELECT _af\.c1, _af\.c2 FROM \(select a, b from t\n\) AS _af\(c1, c2\)\)/);
  assert.match(plan.sql, /TO STDOUT \(FORMAT csv, DELIMITER ',', QUOTE '"', NULL ''\)$/);
  assert.deepEqual(plan.finish, [FINISH.keep, FINISH.text]);
  assert.match(sqlOf("with x as (select 1 a, 2 b) select * from x", [23, 23])!, /^COPY/);
  assert.match(sqlOf("  /* c */ (values (1, 2))", [23, 23])!, /^COPY/);
  assert.match(sqlOf("table t", [23, 23], { delimiter: "\t", quotechar: "'" })!, /E'\\t', QUOTE ''''/);
});

Deno.test("postgres COPY statement: declined where COPY cannot write the documented bytes", () => {
  assert.equal(sqlOf("select a from t", [23]), null, "one column");
  assert.equal(sqlOf("select a, j from t", [23, 3802]), null, "jsonb");
  assert.equal(sqlOf("select a, c from t", [23, 1042]), null, "bpchar");
  assert.equal(sqlOf("select a, e from t", [23, 99999]), null, "an enum or unknown type");
  assert.equal(sqlOf("insert into t values (1, 2) returning *", [23, 23]), null);
  assert.equal(sqlOf("show all", [25, 25]), null);
  assert.equal(sqlOf("select 1, 2", [23, 23], { delimiter: ",", quotechar: "," }), null);
  assert.equal(sqlOf("select 1, 2", [23, 23], { delimiter: "a", quotechar: '"' }), null);
  assert.equal(sqlOf("select 1, 2", [23, 23], { delimiter: "\\", quotechar: '"' }), null);
  assert.equal(sqlOf("select 1, 2", [23, 23], { delimiter: "§", quotechar: '"' }), null);
});

Deno.test("postgres COPY statement: the server prints plainly what the client finishes, unless the dialect collides", () => {
  const oids = [16, 17, 20, 25, 701, 1082, 1114, 1184, 1700];
  const plan = postgresCopyPlan("select * from t", oids, CSV)!;
  // Only bytea keeps a cell expression; the rest is the types' own output.
  assert.ok(plan.sql.startsWith("COPY (SELECT _af.c1, NULLIF(translate(encode(_af.c2, 'base64')"), plan.sql);
  assert.ok(
    plan.sql.includes(", ''), _af.c3, _af.c4, _af.c5, _af.c6, _af.c7, _af.c8, _af.c9 FROM"),
    plan.sql,
  );
  assert.deepEqual(plan.finish, [
    FINISH.bool,
    FINISH.keep,
    FINISH.keep,
    FINISH.text,
    FINISH.float,
    FINISH.keep,
    FINISH.timestamp,
    FINISH.timestamptz,
    FINISH.numeric,
  ]);
  // A delimiter or quote found in numbers and timestamps: the server renders every cell in full.
  for (
    const dialect of [{ delimiter: "-", quotechar: '"' }, { delimiter: ";", quotechar: ":" }, {
      delimiter: "+",
      quotechar: "'",
    }]
  ) {
    const full = postgresCopyPlan("select f, ts from t", [701, 1184], dialect)!;
    assert.deepEqual(full.finish, [FINISH.keep, FINISH.keep]);
    // The raise depends on the value, so the planner cannot fold it into an error for every row.
    assert.match(full.sql, /\('aetherflow-copy-fallback' \|\| left\(_af\.c1::text, 0\)\)::int4/);
    assert.match(full.sql, /date_part\('timezone', _af\.c2\)::int4 % 60 = 0/);
  }
  assert.ok(isCopyFallback(new Error('invalid input syntax for type integer: "aetherflow-copy-fallback"')));
  assert.ok(!isCopyFallback(new Error("division by zero")));
});

const F = FINISH;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feed `text` to a finisher in pieces of `step` bytes (0: whole); the finished text and row count. */
function finished(finish: number[], text: string, step = 0, dialect = CSV): { text: string; rows: number } {
  const f = new CopyFinisher(finish, dialect);
  const bytes = enc.encode(text);
  let out = "";
  if (step === 0) f.push(bytes);
  else for (let i = 0; i < bytes.length; i += step) f.push(bytes.slice(i, i + step));
  f.end();
  out += dec.decode(f.take());
  return { text: out, rows: f.rows };
}

Deno.test("COPY finisher: plain output becomes the documented text forms", () => {
  const cols = [F.bool, F.numeric, F.float, F.text, F.timestamp, F.timestamptz, F.keep];
  const input = [
    "t,1.50,0.1,abc,2024-01-02 03:04:05,2024-01-02 03:04:05+00,7\n",
    'f,NaN,0,"",2024-01-02 03:04:05.5,2024-01-02 03:04:05.1234-03:30,""\n',
    ',Infinity,-0,"a,""b""\nc",2024-01-02 03:04:05.123,2024-01-02 03:04:05.000001+05:30,\n',
    ",-Infinity,NaN,,2024-01-02 03:04:05.123456,2024-01-02 03:04:05.12-11,x\n",
    ",-2.5,-Infinity,é,9999-12-31 23:59:59.999999,1000-01-01 00:00:00+14,\n",
    ",,Infinity,,,,\n",
    ",,-1.5,,,,\n",
  ].join("");
  const expected = [
    "true,1.50,0.1,abc,2024-01-02 03:04:05,2024-01-02 03:04:05+00:00,7\n",
    'false,,0,,2024-01-02 03:04:05.500,2024-01-02 03:04:05.123400-03:30,""\n',
    ',,0,"a,""b""\nc",2024-01-02 03:04:05.123,2024-01-02 03:04:05.000001+05:30,\n',
    ",,,,2024-01-02 03:04:05.123456,2024-01-02 03:04:05.120-11:00,x\n",
    ",-2.5,,é,9999-12-31 23:59:59.999999,1000-01-01 00:00:00+14:00,\n",
    ",,,,,,\n",
    ",,-1.5,,,,\n",
  ].join("");
  // Whole, byte by byte, and in pieces that split rows, quoted cells and escaped quotes.
  for (const step of [0, 1, 2, 3, 7, 64]) {
    assert.deepEqual(finished(cols, input, step), { text: expected, rows: 7 }, `pieces of ${step}`);
  }
  // Other dialects: TAB and a single-quote quote char.
  assert.deepEqual(
    finished([F.text, F.bool], "''\tt\n'it''s'\tf\n", 0, { delimiter: "\t", quotechar: "'" }),
    { text: "\ttrue\n'it''s'\tfalse\n", rows: 2 },
  );
});

Deno.test("COPY finisher: a value without a documented form asks for the cursor path", () => {
  const refused = (how: number, cell: string) => {
    assert.throws(() => finished([F.keep, how], `1,${cell}\n`), (e: Error) => isCopyFallback(e), cell);
  };
  refused(F.float, "1e+15");
  refused(F.float, "1e-05");
  refused(F.float, "-1.5e-07");
  refused(F.bool, "x");
  refused(F.timestamp, "0999-01-01 00:00:00");
  refused(F.timestamp, "10000-01-01 00:00:00");
  refused(F.timestamp, "1000-01-01 00:00:00 BC");
  refused(F.timestamp, "infinity");
  refused(F.timestamp, "01/02/2024 03:04:05"); // DateStyle SQL
  refused(F.timestamptz, "1900-01-01 00:00:00-03:30:52"); // local mean time: seconds in the offset
  refused(F.timestamptz, "2024-01-02 03:04:05");
  refused(F.timestamptz, '"2024-01-02 03:04:05+00"');
  // A row of another shape (the column count does not match) and an incomplete last row.
  assert.throws(() => finished([F.keep, F.keep], "1,2,3\n"), (e: Error) => isCopyFallback(e));
  assert.throws(() => finished([F.keep, F.keep], "1,2"), (e: Error) => isCopyFallback(e));
  assert.throws(() => finished([F.keep, F.text], '1,"open\n'), (e: Error) => isCopyFallback(e));
});
