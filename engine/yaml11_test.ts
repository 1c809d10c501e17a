import assert from "node:assert/strict";
import { parse } from "yaml";
import { YAML11_OPTIONS } from "./yaml11.ts";

// PyYAML 1.1 resolution (upstream parity, docs/yaml-spec.md); the full table is in yaml11_table_test.ts.
const CASES = [
  ["e1", "e1"],
  ["1e3", "1e3"],
  ["1e+3", "1e+3"],
  [".", "."],
  ["1.0e+3", 1000],
  ["6.8523015e+5", 685230.15],
  ["1.5", 1.5],
  [".5", 0.5],
  ["1_000.5", 1000.5],
  ["1.", 1],
  ["190:20:30.15", 685230.15],
  ["0x1A", 26],
  ["010", 8],
  ["1_000", 1000],
  ["yes", true],
  ["n", "n"],
  ["Y", "Y"],
  ["~", null],
] as const;

Deno.test("YAML11_OPTIONS reads scalars like PyYAML's YAML 1.1 resolver", async (t) => {
  for (const [text, want] of CASES) {
    await t.step(text, () => assert.deepStrictEqual(parse(`v: ${text}`, YAML11_OPTIONS).v, want));
  }
  const inf = parse("v: -.inf", YAML11_OPTIONS).v;
  assert.equal(inf, -Infinity);
  assert.ok(Number.isNaN(parse("v: .NaN", YAML11_OPTIONS).v));
});
