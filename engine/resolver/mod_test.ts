import assert from "node:assert/strict";
import { isStandaloneToken, stringLeaves, templateRoots, valueToText } from "./mod.ts";

const STANDALONE_CASES: ReadonlyArray<readonly [string, boolean]> = [
  ["{{A}}", true],
  ["{{ env.TOKEN }}", true],
  ["{{env.TOKEN:}}", true],
  ["{{env.DSN:localhost:1521/X}}", true],
  ["{{env.A}}\n", true],
  ["{{env.A}}\n\n", false],
  [" {{env.A}}", false],
  ["{{env.A}} ", false],
  ["{{ env.A }}", true],
  ["Bearer {{env.T}}", false],
  ["{{env.A}}{{env.B}}", false],
  ["{{ env.A :x}}", false],
  ["{{env.é}}", false],
  ["{{steps.s1.rows.0}}", false],
  ["{{ x | lower }}", false],
  ["{{}}", false],
];

Deno.test("isStandaloneToken() is the ASCII test of docs/templating.md", async (t) => {
  for (const [input, want] of STANDALONE_CASES) {
    await t.step(JSON.stringify(input), () => assert.equal(isStandaloneToken(input), want));
  }
});

const TEXT_CASES: ReadonlyArray<readonly [string, unknown, string]> = [
  ["string as is", "a b", "a b"],
  ["integer", 1, "1"],
  ["float", 1.5, "1.5"],
  ["big float", 1e21, "1e+21"],
  ["integral float", 2.0, "2"],
  ["true", true, "true"],
  ["false", false, "false"],
  ["null", null, "null"],
  ["list", [1, "R", { x: "f" }], '[1,"R",{"x":"f"}]'],
  ["empty map", {}, "{}"],
  ["map", { SUCCESS: 1 }, '{"SUCCESS":1}'],
];

Deno.test("valueToText() renders D17 text", async (t) => {
  for (const [name, input, want] of TEXT_CASES) {
    await t.step(name, () => assert.equal(valueToText(input), want));
  }
});

const ROOTS_CASES: ReadonlyArray<readonly [string, string, string[]]> = [
  ["no tokens", "plain", []],
  ["simple", "{{env.A}}", ["env"]],
  ["filter keeps the whole text", "{{ x | lower }}", ["x | lower"]],
  ["default split at ':'", "{{ steps.a:1.2 }}", ["steps"]],
  ["root alone", "{{run_id}}", ["run_id"]],
  ["several on a line", "{{secrets.X}}-{{job.id}}", ["secrets", "job"]],
  ["empty skipped", "{{}} {{  }} {{env.A}}", ["env"]],
  ["not across lines", "{{env\n.A}} {{jobs.a}}", ["jobs"]],
  ["shortest match", "{{ a }} }}", ["a"]],
  ["colon before dot", "{{a:b.c}}", ["a"]],
  ["unclosed", "{{ broken ", []],
];

Deno.test("templateRoots() lists the root of every token (docs/validation.md 3a)", async (t) => {
  for (const [name, input, want] of ROOTS_CASES) {
    await t.step(name, () => assert.deepStrictEqual(templateRoots(input), want));
  }
});

Deno.test("stringLeaves() gives every string leaf with its loc (docs/validation.md)", async (t) => {
  await t.step("inputs with lists and maps", () => {
    const leaves = stringLeaves({ items: ["a", 1, { b: "c" }], h: { x: "y", n: null }, t: true }, "inputs");
    assert.deepStrictEqual(leaves, [
      { loc: "inputs.items[0]", value: "a" },
      { loc: "inputs.items[2].b", value: "c" },
      { loc: "inputs.h.x", value: "y" },
    ]);
  });
  await t.step("empty base path", () => {
    assert.deepStrictEqual(stringLeaves({ a: { b: "x" }, l: ["y"] }, ""), [
      { loc: "a.b", value: "x" },
      { loc: "l[0]", value: "y" },
    ]);
  });
  await t.step("top-level list and string", () => {
    assert.deepStrictEqual(stringLeaves(["x", ["y"]], "inputs.items"), [
      { loc: "inputs.items[0]", value: "x" },
      { loc: "inputs.items[1][0]", value: "y" },
    ]);
    assert.deepStrictEqual(stringLeaves("s", "flow.workspace.root"), [{
      loc: "flow.workspace.root",
      value: "s",
    }]);
  });
  await t.step("no strings", () => assert.deepStrictEqual(stringLeaves({ a: 1, b: [true] }, "x"), []));
});
