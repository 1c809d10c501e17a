import assert from "node:assert/strict";
import { formatLoc, loadYaml, MAX_YAML_BYTES, MAX_YAML_DEPTH, parseLoc } from "./load_yaml.ts";

Deno.test("loadYaml() applies YAML 1.1 scalar rules (PyYAML parity)", async (t) => {
  const CASES = [
    ["yes/no/on/off are booleans, y/n strings", "a: [yes, no, on, off, y, n, Yes, OFF, Y, N]", [
      true,
      false,
      true,
      false,
      "y",
      "n",
      true,
      false,
      "Y",
      "N",
    ]],
    ["0x10 and 010 are ints", "a: [0x10, 010]", [16, 8]],
    ["underscores in ints", "a: [1_000]", [1000]],
    ["quoted stays a string", "a: ['yes', '010']", ["yes", "010"]],
  ] as const;
  for (const [name, src, want] of CASES) {
    await t.step(name, () => {
      const res = loadYaml(src, "f.yaml");
      assert.deepEqual(res.issues, []);
      assert.deepEqual((res.value as { a: unknown }).a, want);
    });
  }
  await t.step("unquoted dates are dates", () => {
    const res = loadYaml("a: 2024-01-02", "f.yaml");
    assert.ok((res.value as { a: unknown }).a instanceof Date);
  });
});

Deno.test("loadYaml() applies YAML 1.1 merge keys (PyYAML parity) without flagging them", () => {
  const res = loadYaml(
    "d: &d {type: t, inputs: {a: 1}}\ns:\n  <<: *d\n  id: x\nm:\n  <<: [*d, {id: z}]\n",
    "f.yaml",
  );
  assert.deepEqual(res.issues, []);
  assert.deepEqual(res.nonStringKeys, []);
  const value = res.value as Record<string, unknown>;
  assert.deepEqual(value.s, { type: "t", inputs: { a: 1 }, id: "x" });
  assert.deepEqual(value.m, { type: "t", inputs: { a: 1 }, id: "z" });
});

Deno.test("loadYaml() reports problems as issues with positions", async (t) => {
  const CASES = [
    ["syntax error", "a: [1, 2\nb: c\n", "yaml:syntax"],
    ["tab indentation", "a:\n\tb: 1\n", "yaml:syntax"],
    ["bad indentation", "a:\n  b: 1\n c: 2\n", "yaml:syntax"],
    ["duplicate key", "a: 1\nb: 2\na: 3\n", "yaml:duplicate_key"],
    ["non-map root", "- 1\n", "schema:model_type"],
    ["__proto__ key", "a: {__proto__: 1}\n", "yaml:forbidden_key"],
  ] as const;
  for (const [name, src, code] of CASES) {
    await t.step(name, () => {
      const res = loadYaml(src, "f.yaml");
      assert.equal(res.issues[0]?.code, code);
      assert.equal(res.issues[0]?.file, "f.yaml");
      assert.ok(res.issues[0]?.line !== undefined, "line is known");
    });
  }
  await t.step("duplicate key loc is the key path", () => {
    const res = loadYaml("jobs:\n  - id: a\n    id: b\n", "f.yaml");
    assert.deepEqual(res.issues.map((i) => [i.loc, i.line, i.col]), [["jobs[0].id", 3, 5]]);
  });
  await t.step("syntax loc is line:col", () => {
    const res = loadYaml("a: b\nc: [\n", "f.yaml");
    const issue = res.issues[0]!;
    assert.equal(issue.loc, `${issue.line}:${issue.col}`);
  });
});

Deno.test("loadYaml() turns empty or falsy documents into {}", async (t) => {
  for (const src of ["", "# only a comment\n", "null", "~", "false", "0", "''", "[]"]) {
    await t.step(JSON.stringify(src), () => {
      const res = loadYaml(src, "f.yaml");
      assert.deepEqual(res.issues, []);
      assert.deepEqual(res.value, {});
    });
  }
});

Deno.test("loadYaml() keeps time and memory bounded on hostile input", async (t) => {
  const CASES = [
    ["deep flow nesting", "a: " + "[".repeat(100_000) + "]".repeat(100_000), "yaml:too_deep"],
    [
      "deep block nesting",
      Array.from({ length: MAX_YAML_DEPTH + 5 }, (_, i) => `${" ".repeat(i)}k:`).join("\n"),
      "yaml:too_deep",
    ],
    ["too large", "a: " + "x".repeat(MAX_YAML_BYTES + 1), "yaml:too_large"],
    ["NUL bytes", "a: b\u0000", "yaml:binary"],
    [
      "alias bomb",
      "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
      "yaml:syntax",
    ],
  ] as const;
  for (const [name, src, code] of CASES) {
    await t.step(name, () => {
      // Bounded work is what the limits buy; how fast that is belongs to `deno task bench`, not to a test.
      const res = loadYaml(src, "f.yaml");
      assert.deepEqual(res.issues.map((i) => i.code), [code]);
    });
  }
});

Deno.test("loadYaml().locate() maps paths to source positions", async (t) => {
  const res = loadYaml("flow:\n  id: d\njobs:\n  - id: a\n    steps: []\n", "f.yaml");
  const CASES = [
    ["value of a key", ["flow", "id"], false, { line: 2, col: 7 }],
    ["key itself", ["flow", "id"], true, { line: 2, col: 3 }],
    ["list item", ["jobs", 0], false, { line: 4, col: 5 }],
    ["missing leaf -> nearest ancestor", ["jobs", 0, "when"], false, { line: 4, col: 5 }],
  ] as const;
  for (const [name, path, key, want] of CASES) {
    await t.step(name, () => assert.deepEqual(res.locate(path, { key }), want));
  }
});

Deno.test("formatLoc() and parseLoc() use the docs/yaml-spec.md loc format", async (t) => {
  const CASES = [
    [[], "<root>"],
    [["jobs", 1, "steps", 0, "type"], "jobs[1].steps[0].type"],
    [["inputs", "items", 0], "inputs.items[0]"],
    [["a", 0, 1], "a[0][1]"],
  ] as const;
  for (const [path, loc] of CASES) {
    await t.step(loc, () => {
      assert.equal(formatLoc(path), loc);
      assert.deepEqual(parseLoc(loc), path);
    });
  }
});
