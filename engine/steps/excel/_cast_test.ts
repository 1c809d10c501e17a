import assert from "node:assert/strict";
import { castBasicValue, castSchemaValue, rowCaster } from "./_cast.ts";
import { XlDate } from "./_values.ts";

/** Dates as their text, so rows compare as plain values. */
function show(v: unknown): unknown {
  return v instanceof XlDate ? `${v.dateOnly ? "date" : "datetime"} ${v.text()}` : v;
}

const SCHEMA = [
  ["int", " 42 ", 42],
  ["int", "+7", 7],
  ["int", "1.0", "1.0"],
  ["int", "12345678901234567890", 12345678901234567890n],
  ["float", "1.5e3", 1500],
  ["float", "nan", NaN],
  ["float", "-inf", -Infinity],
  ["float", "abc", "abc"],
  ["bool", " Yes ", true],
  ["bool", "f", false],
  ["bool", "maybe", "maybe"],
  ["date", "2024-02-01", "datetime 2024-02-01 00:00:00"],
  ["date", "2024-02-30", "2024-02-30"],
  ["datetime", "2024-01-01 08:30:00", "datetime 2024-01-01 08:30:00"],
  ["datetime", "2024-01-01T08:30:00.250Z", "datetime 2024-01-01 08:30:00.250"],
  ["datetime", "2024-01-01T08:30:00+02:00", "datetime 2024-01-01 08:30:00"],
  ["string", "", null],
  ["string", 15, 15],
  ["unknown-type", "x", "x"],
] as const;

Deno.test("castSchemaValue() casts text by dtype and keeps what it cannot parse", async (t) => {
  for (const [dtype, value, want] of SCHEMA) {
    await t.step(`${dtype} ${JSON.stringify(String(value))}`, () => {
      const got = show(castSchemaValue(value, dtype));
      if (typeof want === "number" && Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else assert.deepEqual(got, want);
    });
  }
});

const BASIC = [
  ["", null],
  ["1", true],
  ["0", false],
  ["TRUE", true],
  ["42", 42],
  ["042", "042"],
  ["-5", "-5"],
  ["1.5", 1.5],
  ["2e3", 2000],
  ["Name", "Name"],
  ["2024-01-01", "datetime 2024-01-01 00:00:00"],
  ["2024-01-01 08:30", "datetime 2024-01-01 08:30:00"],
  [1.5, 1.5],
  [2, 2],
] as const;

Deno.test("castBasicValue() guesses per value, numbers as text first", async (t) => {
  for (const [value, want] of BASIC) {
    await t.step(JSON.stringify(value), () => assert.deepEqual(show(castBasicValue(value)), want));
  }
});

Deno.test("rowCaster() schema mode looks columns up by name; unknown columns stay text", () => {
  const cast = rowCaster("schema", ["ID", "When", "Extra"], { ID: "int", When: "date" });
  assert.deepEqual(cast(["7", "2024-03-04", "8", "9"]).map(show), [
    7,
    "datetime 2024-03-04 00:00:00",
    "8",
    "9",
  ]);
  assert.deepEqual(rowCaster("none", [], {})(["7", 1.5, null]), ["7", 1.5, null]);
});
