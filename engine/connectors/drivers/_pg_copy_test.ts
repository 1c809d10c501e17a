// When the PostgreSQL COPY path of db_extract_stream is taken (docs/steps.md "The COPY path"); the bytes it
// writes are compared with the cursor path's against a real server in tests/db_servers_test.ts.
import assert from "node:assert/strict";
import { isCopyFallback, postgresCopySql } from "./_pg_copy.ts";

const CSV = { delimiter: ",", quotechar: '"' };

Deno.test("postgres COPY statement: wraps the query, renames its columns, keeps the dialect", () => {
  const sql = postgresCopySql("select a, b from t;  \n", [23, 25], CSV)!;
  assert.match(
    sql,
    /^COPY \(SELECT _af\.c1, NULLIF\(_af\.c2::text, ''\) FROM \(select a, b from t\n\) AS _af\(c1, c2\)\)/,
  );
  assert.match(sql, /TO STDOUT \(FORMAT csv, DELIMITER ',', QUOTE '"', NULL ''\)$/);
  assert.match(postgresCopySql("with x as (select 1 a, 2 b) select * from x", [23, 23], CSV)!, /^COPY/);
  assert.match(postgresCopySql("  /* c */ (values (1, 2))", [23, 23], CSV)!, /^COPY/);
  assert.match(
    postgresCopySql("table t", [23, 23], { delimiter: "\t", quotechar: "'" })!,
    /E'\\t', QUOTE ''''/,
  );
});

Deno.test("postgres COPY statement: declined where COPY cannot write the documented bytes", () => {
  assert.equal(postgresCopySql("select a from t", [23], CSV), null, "one column");
  assert.equal(postgresCopySql("select a, j from t", [23, 3802], CSV), null, "jsonb");
  assert.equal(postgresCopySql("select a, c from t", [23, 1042], CSV), null, "bpchar");
  assert.equal(postgresCopySql("select a, e from t", [23, 99999], CSV), null, "an enum or unknown type");
  assert.equal(postgresCopySql("insert into t values (1, 2) returning *", [23, 23], CSV), null);
  assert.equal(postgresCopySql("show all", [25, 25], CSV), null);
  assert.equal(postgresCopySql("select 1, 2", [23, 23], { delimiter: ",", quotechar: "," }), null);
  assert.equal(postgresCopySql("select 1, 2", [23, 23], { delimiter: "a", quotechar: '"' }), null);
  assert.equal(postgresCopySql("select 1, 2", [23, 23], { delimiter: "\\", quotechar: '"' }), null);
  assert.equal(postgresCopySql("select 1, 2", [23, 23], { delimiter: "§", quotechar: '"' }), null);
});

Deno.test("postgres COPY statement: values outside the fast forms raise the marked fallback error", () => {
  const sql = postgresCopySql("select f, ts from t", [701, 1184], CSV)!;
  // The raise depends on the value, so the planner cannot fold it into an error for every row.
  assert.match(sql, /\('aetherflow-copy-fallback' \|\| left\(_af\.c1::text, 0\)\)::int4/);
  assert.match(sql, /date_part\('timezone', _af\.c2\)::int4 % 60 = 0/);
  assert.ok(isCopyFallback(new Error('invalid input syntax for type integer: "aetherflow-copy-fallback"')));
  assert.ok(!isCopyFallback(new Error("division by zero")));
});
