import assert from "node:assert/strict";
import { bindNamed, missingParams, scanNamedParams } from "./_db_sql.ts";

Deno.test(":name parameters are found outside literals, identifiers, comments and dollar quotes", () => {
  const sql = `select :a, ':b', "c:d", x::int, :e::text, \`f:g\` -- :h
  /* :i */ from t where y = $$ :j $$ and z = :a and w = \\:k and v := 1 and q = :last`;
  assert.deepEqual(scanNamedParams(sql).map((p) => p.name), ["a", "e", "a", "last"]);
  assert.deepEqual(missingParams(sql, { a: 1, e: 2 }), ["last"]);
});

Deno.test("bindNamed rewrites to positional markers, reusing or repeating values, and unescapes \\:", () => {
  const pg = bindNamed("select :a, :b, :a, '\\:' || 'x'", { a: 1, b: "two" }, (i) => `$${i}`, {
    reuse: true,
  });
  assert.deepEqual(pg, { sql: "select $1, $2, $1, ':' || 'x'", values: [1, "two"] });
  const my = bindNamed("select :a, :b, :a", { a: 1, b: 2, unused: 3 }, () => "?", { reuse: false });
  assert.deepEqual(my, { sql: "select ?, ?, ?", values: [1, 2, 1] });
  assert.deepEqual(bindNamed("select ?", [5], () => "?", { reuse: false }), { sql: "select ?", values: [5] });
  assert.throws(
    () => bindNamed("select :nope", {}, () => "?", { reuse: false }),
    /SQL parameter :nope has no value in params/,
  );
});
