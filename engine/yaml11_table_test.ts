// Every YAML 1.1 implicit scalar form, read by YAML11_OPTIONS, against what PyYAML (upstream's reader) made of it.
// The table is generated once by testdata/yaml11/pyyaml_scalars.py with PyYAML and committed.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { datesAsText, YAML11_OPTIONS } from "./yaml11.ts";

interface Expected {
  type: "null" | "bool" | "int" | "float" | "str" | "date" | "datetime" | "error";
  value: unknown;
  /** Python's `str()` of a date or datetime: the text a step is handed. */
  text?: string;
}

const TABLE: { pyyaml: string; rows: [string, Expected][] } = JSON.parse(
  await Deno.readTextFile(new URL("../testdata/yaml11/pyyaml_scalars.json", import.meta.url)),
);

// Forms where we differ on purpose (docs/compatibility.md): PyYAML's SafeLoader resolves a plain `=` or `<<`
// value to a tag it has no constructor for and refuses the whole file; we read the text.
const DIFFERENCES: Record<string, Expected> = {
  "=": { type: "str", value: "=" },
  "<<": { type: "str", value: "<<" },
};

/** Our reading of `v: <form>` in the table's terms. */
function ours(form: string): Expected {
  let v: unknown;
  try {
    v = parse(`v: ${form}`, YAML11_OPTIONS).v;
  } catch {
    return { type: "error", value: "any" };
  }
  if (v === null) return { type: "null", value: null };
  if (typeof v === "boolean") return { type: "bool", value: v };
  if (typeof v === "string") return { type: "str", value: v };
  if (v instanceof Date) {
    const iso = v.toISOString();
    const text = datesAsText(v) as unknown as string;
    return iso.endsWith("T00:00:00.000Z") && !text.includes(" ")
      ? { type: "date", value: iso.slice(0, 10), text }
      : { type: "datetime", value: iso, text };
  }
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { type: "float", value: "nan" };
    if (!Number.isFinite(v)) return { type: "float", value: v > 0 ? "inf" : "-inf" };
    return { type: "int", value: v };
  }
  return { type: "error", value: `unexpected ${typeof v}` };
}

/** PyYAML's result as it can exist in JS: int and float are one number type, an error's class is not ours. */
function comparable(want: Expected): Expected {
  if (want.type === "error") return { type: "error", value: "any" };
  if (want.type === "float" && typeof want.value === "number") return { type: "int", value: want.value };
  return want;
}

Deno.test(`YAML11_OPTIONS reads every YAML 1.1 implicit scalar form as PyYAML ${TABLE.pyyaml} does`, async (t) => {
  assert.ok(TABLE.rows.length > 150, "the generated table is present");
  for (const [form, want] of TABLE.rows) {
    await t.step(JSON.stringify(form), () => {
      const expected = DIFFERENCES[form] ?? comparable(want);
      assert.deepStrictEqual(ours(form), expected, `PyYAML: ${JSON.stringify(want)}`);
    });
  }
});

Deno.test("YAML11_OPTIONS reads keys with the same rules: y and n are string keys, yes and on are booleans", () => {
  const doc = parse("y: 1\nn: 2\nY: 3\nN: 4\n", YAML11_OPTIONS);
  assert.deepStrictEqual(Object.keys(doc), ["y", "n", "Y", "N"]);
  const map = parse("yes: 1\noff: 2\n", { ...YAML11_OPTIONS, mapAsMap: true }) as Map<unknown, unknown>;
  assert.deepStrictEqual([...map.keys()], [true, false]);
});
