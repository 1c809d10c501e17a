import assert from "node:assert/strict";
import { checkRaw, fields as f, parseFields } from "./mod.ts";

const SCHEMA = f.fixedMap({
  flag: f.bool({ default: false }),
  n: f.int({ default: 1, min: 0 }),
  x: f.number({ default: null }),
  name: f.text({ scalars: true, nonEmpty: true }),
  where: f.path({ default: null }),
  mode: f.oneOf(["a", "b"], { default: "a" }),
  items: f.list(f.int()),
  opts: f.map({ deep: f.bool({ default: true }) }),
  env: f.record(),
});

Deno.test("field helpers apply the D17 coercions and defaults", () => {
  const got = parseFields(SCHEMA, {
    flag: " No ",
    n: " +5 ",
    x: "1.5e1",
    name: 7,
    where: "",
    mode: " B ",
    items: "3",
    opts: null,
  });
  assert.deepEqual(got, {
    ok: true,
    value: {
      flag: false,
      n: 5,
      x: 15,
      name: "7",
      where: null,
      mode: "b",
      items: [3],
      opts: { deep: true },
      env: {},
    },
  });
});

Deno.test("field helpers report one problem per field, with its path", async (t) => {
  const CASES = [
    ["boolean", { name: "a", flag: "maybe" }, ["invalid", "flag", "must be a boolean"]],
    ["integer", { name: "a", n: 1.5 }, ["invalid", "n", "must be an integer"]],
    ["minimum", { name: "a", n: -1 }, ["invalid", "n", "must be >= 0"]],
    ["number", { name: "a", x: "soon" }, ["invalid", "x", "must be a number"]],
    ["empty text", { name: "" }, ["invalid", "name", "must be a non-empty string"]],
    ["path", { name: "a", where: 5 }, ["invalid", "where", "must be a path string"]],
    ["one of", { name: "a", mode: "c" }, ["invalid", "mode", 'must be one of ["a","b"]']],
    ["list item", { name: "a", items: [1, "x"] }, ["invalid", "items[1]", "must be an integer"]],
    ["nested map", { name: "a", opts: [] }, ["invalid", "opts", "must be a map"]],
    ["nested unknown", { name: "a", opts: { dep: 1 } }, [
      "unknown",
      "opts.dep",
      "Extra inputs are not permitted (did you mean 'deep'?)",
    ]],
    ["missing", {}, ["missing", "name", "is required"]],
  ] as const;
  for (const [name, value, want] of CASES) {
    await t.step(name, () => {
      const got = parseFields(SCHEMA, value);
      assert.ok(!got.ok);
      const p = got.problems[0]!;
      assert.deepEqual([
        p.kind,
        p.path.map((s) => typeof s === "number" ? `[${s}]` : s).join(".").replace(".[", "["),
        p.message,
      ], [...want]);
    });
  }
});

Deno.test("checkRaw() skips templated values and the missing key a typo meant", () => {
  assert.deepEqual(checkRaw(SCHEMA, { name: "{{env.N}}", n: "{{x}}", opts: "{{steps.a.o}}" }), []);
  assert.deepEqual(checkRaw(SCHEMA, { nmae: "a" }).map((p) => [p.kind, p.path.join(".")]), [[
    "unknown",
    "nmae",
  ]]);
});
