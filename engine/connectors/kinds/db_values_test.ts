import assert from "node:assert/strict";
import {
  jsonOf,
  naiveTimestamp,
  normaliseFraction,
  parseZonedTimestamp,
  SqlDate,
  SqlDecimal,
  SqlTimestamp,
  textOf,
} from "./db_values.ts";

Deno.test("text form: null empty, booleans, shortest numbers, exact decimals, dates, timestamps, base64, JSON", () => {
  const cases: [unknown, string][] = [
    [null, ""],
    [undefined, ""],
    [true, "true"],
    [1.5, "1.5"],
    [15, "15"],
    [1e21, "1e+21"],
    [NaN, ""],
    [Infinity, ""],
    [9223372036854775807n, "9223372036854775807"],
    [new SqlDecimal("12.50"), "12.50"],
    [new SqlDecimal("NaN"), ""],
    [new SqlDate("2024-02-29"), "2024-02-29"],
    [naiveTimestamp("2024-01-02 03:04:05"), "2024-01-02 03:04:05"],
    [naiveTimestamp("2024-01-02T03:04:05.100000"), "2024-01-02 03:04:05.100"],
    [parseZonedTimestamp("2024-01-02 03:04:05.123456+05:30"), "2024-01-02 03:04:05.123456+05:30"],
    [parseZonedTimestamp("2024-01-02 03:04:05+00"), "2024-01-02 03:04:05+00:00"],
    [new Uint8Array([0, 1, 255]), "AAH/"],
    [{ a: [1, new SqlDecimal("0.1")] }, '{"a":[1,0.1]}'],
    ["tab\there", "tab\there"],
  ];
  for (const [v, want] of cases) assert.equal(textOf(v), want, String(v));
});

Deno.test("JSON form: big integers and inexact decimals as strings, ISO timestamps with T, base64 bytes", () => {
  assert.deepEqual(
    jsonOf([
      9007199254740993n,
      42n,
      new SqlDecimal("12.50"),
      new SqlDecimal("0.1000000000000000000001"),
      new SqlDecimal("123456789012345678901234567890"),
      new SqlDate("2024-02-29"),
      naiveTimestamp("2024-01-02 03:04:05.120"),
      parseZonedTimestamp("2024-01-02 03:04:05-08"),
      new Uint8Array([1, 2]),
      NaN,
      null,
    ]),
    [
      "9007199254740993",
      42,
      12.5,
      "0.1000000000000000000001",
      "123456789012345678901234567890",
      "2024-02-29",
      "2024-01-02T03:04:05.120",
      "2024-01-02T03:04:05-08:00",
      "AQI=",
      null,
      null,
    ],
  );
});

Deno.test("fractions: none when zero, milliseconds when whole, else microseconds", () => {
  assert.equal(normaliseFraction("10:00:00.000000"), "10:00:00");
  assert.equal(normaliseFraction("10:00:00.12"), "10:00:00.120");
  assert.equal(normaliseFraction("10:00:00.1234"), "10:00:00.123400");
  assert.equal(new SqlTimestamp("1970-01-01 00:00:01.500", "+01:00").epochMillis(), -3598500);
});
