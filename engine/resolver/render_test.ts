import assert from "node:assert/strict";
import { PHASE_ROOTS, renderString, renderValue, STRICT_ERR, TemplateError } from "./mod.ts";

const CTX = {
  env: { A: "1", D: "${Y}", E: "", DSN: "db:1521/X" },
  steps: { s1: { rows: [1, 2], none: null, n: 3, v: "", zero: 0, f: false, empty: {}, obj: { x: "f" } } },
  run_id: "R",
  flow_id: "demo",
  result: { has_data: true, count: 2 },
  job: { id: "j", outputs: {} },
};

// docs/templating.md examples, docs/templating.md and docs/templating.md.
const RENDER_CASES: ReadonlyArray<readonly [string, string, unknown]> = [
  ["plain text is unchanged", "hello world", "hello world"],
  ["single braces with content are fine", '{"a": 1} {x}', '{"a": 1} {x}'],
  ["standalone with spaces keeps a list", "{{ steps.s1.rows }}", [1, 2]],
  ["inline renders compact JSON", "rows={{steps.s1.rows}}", "rows=[1,2]"],
  ["inline null renders null", "a{{steps.s1.none}}", "anull"],
  ["leading space makes it inline", " {{env.A}}", " 1"],
  ["one trailing newline is tolerated", "{{env.A}}\n", "1"],
  ["two trailing newlines make it inline", "{{env.A}}\n\n", "1\n\n"],
  ["a root alone gives the whole map", "{{ env }}", CTX.env],
  ["space before ':' makes it inline", "{{ env.A :x}}", "1"],
  ["standalone number keeps its type", "{{steps.s1.n}}", 3],
  ["standalone null is found", "{{steps.s1.none}}", null],
  ["standalone 0 is found", "{{steps.s1.zero:9}}", 0],
  ["standalone false is found", "{{steps.s1.f:true}}", false],
  ["standalone {} is found", "{{steps.s1.empty}}", {}],
  ["standalone bool", "{{ result.has_data }}", true],
  ["standalone result is not re-checked", "{{env.D}}", "${Y}"],
  ["first ':' splits path and default", "{{env.NOPE:localhost:1521/X}}", "localhost:1521/X"],
  ["typed default 0", "{{env.M:0}}", 0],
  ["typed default true", "{{env.M:true}}", true],
  ["typed default yes is YAML 1.1 true", "{{env.M:yes}}", true],
  ["typed default []", "{{env.M:[]}}", []],
  ["typed default list", "{{env.M:[1, a]}}", [1, "a"]],
  ["typed default 1.5", "{{env.M:1.5}}", 1.5],
  ["typed default null", "{{env.M:null}}", null],
  ["typed default quoted '0'", "{{env.M:'0'}}", "0"],
  ["typed default is trimmed", "{{env.M: 5 }}", 5],
  ["typed default mapping stays text", "{{env.M:a: b}}", "a: b"],
  ["typed default parse failure stays text", "{{env.M:[1,}}", "[1,"],
  ["typed default date stays text", "{{env.M:2024-01-01}}", "2024-01-01"],
  ["empty default is empty string", "{{env.M:}}", ""],
  ["blank default is empty string", "{{env.M:  }}", ""],
  ["result default typed", "{{result.m:3}}", 3],
  ["result default quoted", "{{result.m:'3'}}", "3"],
  ["empty string counts as missing (standalone)", "{{env.E:d}}", "d"],
  ["empty string counts as missing (inline)", "x={{env.E:d}}", "x=d"],
  ["inline defaults are text and keep spacing", "x={{env.M: 5 }}", "x= 5"],
  ["inline default 0 is text", "x={{env.M:0}}", "x=0"],
  ["inline empty default", "x={{env.M:}}y", "x=y"],
  ["inline several tokens", "{{run_id}}/{{flow_id}}/{{steps.s1.n}}", "R/demo/3"],
  ["inline nested map", "o={{steps.s1.obj}}", 'o={"x":"f"}'],
  ["trailing }} passes through", "{{env.A}} }}", "1 }}"],
  ["lone }} without {{ passes through", "a }} b", "a }} b"],
  ["inline default keeps ':'", "d={{env.NOPE:h:1}}", "d=h:1"],
  ["unicode path is valid inline", "x={{env.é:ok}}", "x=ok"],
  ["unicode path is not standalone", "{{env.é:5}}", "5"],
];

Deno.test("renderString() renders tokens (docs/templating.md)", async (t) => {
  for (const [name, input, want] of RENDER_CASES) {
    await t.step(name, () => assert.deepStrictEqual(renderString(input, CTX), want));
  }
});

const SYNTAX_CASES: ReadonlyArray<readonly [string, string]> = [
  ["${ is forbidden", "${BAD}"],
  ["{% is forbidden", "{% if x %}"],
  ["lone %} is forbidden", "a %} b"],
  ["{# is forbidden", "{# c #}"],
  ["#} is forbidden", "a #}"],
  ["{} is forbidden", "{}"],
  ["{{}} is forbidden", "{{}}"],
  ["filter", "{{ x | lower }}"],
  ["index segment", "{{steps.s1.rows.0}}"],
  ["premature close", "a }} {{env.A}}"],
  ["missing close", "{{ broken "],
  ["missing close after a token", "{{env.A}} {{ broken"],
  ["blank token", "x {{  }}"],
  ["nested braces", "{{ {a} }}"],
  ["inline result with ${", "v={{env.D}}"],
  ["inline result with empty map", "v={{steps.s1.empty}}"],
  ["bad path with dash", "{{env.A-B}}"],
  ["bad path with empty segment", "{{env..A}}"],
];

Deno.test("renderString() rejects forbidden and malformed syntax (docs/templating.md)", async (t) => {
  for (const [name, input] of SYNTAX_CASES) {
    await t.step(name, () => {
      assert.throws(() => renderString(input, CTX), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.code, "template:syntax");
        assert.equal(err.kind, "syntax");
        assert.equal(err.message.split("\n")[0], STRICT_ERR);
        assert.equal(err.path, undefined);
        assert.equal(err.exitCode, 1);
        return true;
      });
    });
  }
});

const MISSING_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ["standalone missing", "{{steps.s1.nope}}", "steps.s1.nope"],
  ["standalone empty string", "{{result.v}}", "result.v"],
  ["inline missing", "x={{env.NOPE}}", "env.NOPE"],
  ["intermediate not a map", "{{steps.s1.n.x}}", "steps.s1.n.x"],
  ["intermediate list", "{{steps.s1.rows.x}}", "steps.s1.rows.x"],
  ["unknown root without roots", "{{nope.x}}", "nope.x"],
  ["empty env value inline", "a{{env.E}}", "env.E"],
];

Deno.test("renderString() reports missing keys with the full path (docs/templating.md)", async (t) => {
  const ctx = { ...CTX, result: { v: "" } };
  for (const [name, input, path] of MISSING_CASES) {
    await t.step(name, () => {
      assert.throws(() => renderString(input, ctx), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.code, "template:missing");
        assert.equal(err.kind, "missing");
        assert.equal(err.path, path);
        assert.equal(err.message, `Missing template key: ${path}`);
        return true;
      });
    });
  }
});

const ROOT_CASES: ReadonlyArray<readonly [string, string, readonly string[], "ok" | "syntax"]> = [
  ["env in resource phase", "{{env.A}}", PHASE_ROOTS.resource, "ok"],
  ["steps in resource phase", "{{steps.s1.n}}", PHASE_ROOTS.resource, "syntax"],
  ["steps inline in flow phase", "x={{steps.s1.n}}", PHASE_ROOTS.flow, "syntax"],
  ["disallowed root even with default", "{{steps.x:1}}", PHASE_ROOTS.flow, "syntax"],
  ["resources in step phase", "{{resources.x}}", PHASE_ROOTS.step, "syntax"],
  ["secrets in step phase", "{{secrets.X}}", PHASE_ROOTS.step, "syntax"],
  ["run_id in step phase", "{{run_id}}", PHASE_ROOTS.step, "ok"],
  ["jobs in step phase with default", "{{jobs.a.outputs.x:0}}", PHASE_ROOTS.step, "ok"],
];

Deno.test("renderString() enforces the phase roots (docs/templating.md)", async (t) => {
  for (const [name, input, roots, want] of ROOT_CASES) {
    await t.step(name, () => {
      if (want === "ok") renderString(input, CTX, { roots });
      else assert.throws(() => renderString(input, CTX, { roots }), { code: "template:syntax" });
    });
  }
});

Deno.test("renderValue() walks maps and lists without mutating (docs/templating.md)", async (t) => {
  await t.step("nested structure, typed and inline leaves", () => {
    const input = {
      lst: [1, "{{run_id}}", { x: "{{flow_id}}" }],
      copy: "{{steps.s1.rows}}",
      s: "n={{steps.s1.rows}}",
      jo: "{{job.outputs.k:none}}",
      keep: [true, null, 2.5],
      "{{env.A}}": "keys are never templated",
    };
    const snapshot = structuredClone(input);
    const out = renderValue(input, CTX) as Record<string, unknown>;
    assert.deepStrictEqual(out, {
      lst: [1, "R", { x: "demo" }],
      copy: [1, 2],
      s: "n=[1,2]",
      jo: "none",
      keep: [true, null, 2.5],
      "{{env.A}}": "keys are never templated",
    });
    assert.deepStrictEqual(input, snapshot);
    assert.notEqual(out.keep, input.keep);
  });
  await t.step("typed results are returned by reference", () => {
    const out = renderValue({ r: "{{steps.s1.rows}}" }, CTX) as { r: unknown };
    assert.equal(out.r, CTX.steps.s1.rows);
  });
  await t.step("acceptance 16: inline rendering of a rendered list", () => {
    const lst = renderValue([1, "{{run_id}}", { x: "{{flow_id}}" }], CTX);
    assert.equal(renderString("n={{steps.e1.lst}}", { steps: { e1: { lst } } }), 'n=[1,"R",{"x":"demo"}]');
  });
  await t.step("first error wins", () => {
    assert.throws(() => renderValue({ a: "{{steps.x.y}}", b: "${BAD}" }, CTX), { code: "template:missing" });
    assert.throws(() => renderValue({ b: "${BAD}", a: "{{steps.x.y}}" }, CTX), { code: "template:syntax" });
  });
  await t.step("non-string scalars pass through", () => {
    for (const v of [1, true, null, undefined]) assert.equal(renderValue(v, CTX), v);
  });
});

Deno.test("renderValue() with a loc names the failing leaf; locate() appends where to the first line", () => {
  const err = (() => {
    try {
      renderValue({ command: ["sh", "-c", "echo {{env.NOPE}}"] }, CTX, { loc: "inputs" });
    } catch (e) {
      return e as TemplateError;
    }
  })();
  assert.equal(err?.loc, "inputs.command[2]");
  assert.equal(err?.path, "env.NOPE");
  assert.equal(
    err?.locate("job 'j', step 's'").message,
    "Missing template key: env.NOPE (job 'j', step 's')",
  );
  const syntax = new TemplateError("syntax", `${STRICT_ERR}\ndetail`).locate("here");
  assert.equal(syntax.message, `${STRICT_ERR} (here)\ndetail`);
});

Deno.test("renderString() onMissing sees every missing token, before its default, and may stand in", () => {
  const seen: [string, boolean][] = [];
  const out = renderString("{{steps.x.y}}-{{env.NOPE:d}}-{{env.A}}-{{job.nope}}", CTX, {
    onMissing: (path, hasDefault) => {
      seen.push([path, hasDefault]);
      return path.startsWith("env.") ? undefined : { value: "S" };
    },
  });
  assert.equal(out, "S-d-1-S");
  assert.deepEqual(seen, [["steps.x.y", false], ["env.NOPE", true], ["job.nope", false]]);
  assert.deepEqual(renderString("{{steps.x.y}}", CTX, { onMissing: () => ({ value: [1] }) }), [1]);
});

Deno.test("renderString() leaves text without {{ unchanged (property)", () => {
  const alphabet = ["a", " ", "{", "x", "}", ":", "$", "%", "#", "\n", "é"];
  let seed = 7;
  for (let run = 0; run < 300; run++) {
    let text = "";
    const len = run % 12;
    for (let i = 0; i < len; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += alphabet[seed % alphabet.length];
    }
    if (text.includes("{{") || text.includes("}}")) continue;
    const forbidden = ["${", "{%", "%}", "{#", "#}", "{}"].some((p) => text.includes(p));
    if (forbidden) assert.throws(() => renderString(text, CTX), { code: "template:syntax" }, `seed ${seed}`);
    else assert.equal(renderString(text, CTX), text, `seed ${seed}`);
  }
});
