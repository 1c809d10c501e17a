import assert from "node:assert/strict";
import { naiveTimestamp, SqlDate, SqlDecimal } from "../../connectors/kinds/db_values.ts";
import { dtypeOfDeclared, inferDtypes, peekRows } from "./_dtypes.ts";

Deno.test("declared types map by substring; decimals with scale 0 are ints, others floats (flagged)", () => {
  const m = (t: string) => dtypeOfDeclared(t).dtype;
  assert.deepEqual(
    [
      "bool",
      "timestamptz",
      "datetime",
      "date",
      "int8",
      "bigint",
      "decimal(10,0)",
      "numeric(14,2)",
      "numeric",
      "float8",
      "double",
      "real",
      "text",
      "bytea",
      "interval",
      "uuid",
    ].map(m),
    [
      "bool",
      "datetime",
      "datetime",
      "date",
      "int",
      "int",
      "int",
      "float",
      "float",
      "float",
      "float",
      "float",
      "string",
      "string",
      "string",
      "string",
    ],
  );
  assert.equal(dtypeOfDeclared("numeric(14,2)").decimalToFloat, true);
});

Deno.test("without declared types the first non-null sampled value decides; all-null columns are strings", () => {
  const r = inferDtypes(
    ["a", "b", "c", "d", "e", "f", "g"],
    [null, null, null, null, null, null, "int4"],
    [
      [null, 1.5, true, new SqlDate("2024-01-01"), null, 9007199254740993n, "x"],
      [2, 1, false, null, null, null, null],
    ],
  );
  assert.deepEqual(r.dtypes, { a: "int", b: "float", c: "bool", d: "date", e: "string", f: "int", g: "int" });
  assert.equal(
    inferDtypes(["t", "n"], [null, null], [[naiveTimestamp("2024-01-01 00:00:00"), new SqlDecimal("1.5")]])
      .dtypes.t,
    "datetime",
  );
});

Deno.test("peekRows keeps every row and releases the source when left early", async () => {
  let released = false;
  async function* source() {
    try {
      for (let i = 0; i < 5; i++) yield [[i], [i + 100]];
    } finally {
      released = true;
    }
  }
  const all = await peekRows(source(), 3);
  assert.equal(all.sample.length, 3);
  const rows: unknown[] = [];
  for await (const b of all.rest) rows.push(...b);
  assert.equal(rows.length, 10);
  released = false;
  const early = await peekRows(source(), 1);
  await early.rest[Symbol.asyncIterator]().return?.();
  assert.equal(released, true, "return() before the first next() still releases the source");
});
