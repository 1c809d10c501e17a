import assert from "node:assert/strict";
import { evaluateWhen, parseWhen, WhenEvalError, type WhenJobContext, WhenSyntaxError } from "./mod.ts";

const JOBS: Record<string, WhenJobContext> = {
  gate: { status: "SUCCESS", outputs: { has_data: false, count: 2, n: 3, s: "3", name: "b", f: 3.0 } },
  a: {
    status: "SKIPPED",
    outputs: { nested: { x: 1, deep: { y: "z" } }, empty_map: {}, empty_list: [], lst: [1, "a"], nil: null },
    skip_reason: "no data",
    skip_trigger: "check",
  },
  e: { status: "FAILED", outputs: {} },
};

// docs/templating.md evaluation and comparison table; acceptance 8, 12, 19.
const TRUE_FALSE_CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ["empty is true", "", true],
  ["acceptance 8: has_data == true", "jobs.gate.outputs.has_data == true", false],
  ["acceptance 12: count > 1", "jobs.gate.outputs.count > 1", true],
  ["acceptance 19: typed default n > 2", "jobs.gate.outputs.n > 2", true],
  ["status equality", "jobs.gate.status == 'SUCCESS'", true],
  ["status inequality", 'jobs.e.status != "FAILED"', false],
  ["skip_reason", "jobs.a.skip_reason == 'no data'", true],
  ["skip_trigger", "jobs.a.skip_trigger == 'check'", true],
  ["absent skip_reason is null", "jobs.gate.skip_reason == null", true],
  ["nested outputs", "jobs.a.outputs.nested.deep.y == 'z'", true],
  ["3 == 3.0", "jobs.gate.outputs.n == 3.0", true],
  ["numbers ordered", "jobs.gate.outputs.f >= 3", true],
  ["negative literal", "jobs.gate.outputs.count > -1", true],
  ["exponent literal", "1e3 == 1000", true],
  ["strings exact", "jobs.gate.outputs.s == '3'", true],
  ["strings ordered by code point", "jobs.gate.outputs.name > 'a'", true],
  ["uppercase before lowercase", "'Z' < 'a'", true],
  ["astral code point after BMP", "'\u{1F600}' > '\uFFFF'", true],
  ["prefix is smaller", "'ab' < 'abc'", true],
  ["bool equality", "true == True", true],
  ["bool inequality", "false != true", true],
  ["null equality", "None == null", true],
  ["bool vs number == is false", "true == 1", false],
  ["bool vs number != is true", "jobs.gate.outputs.has_data != 0", true],
  ["null vs number == is false", "jobs.a.outputs.nil == 0", false],
  ["null vs string != is true", "jobs.a.outputs.nil != ''", true],
  ["list deep equality", "jobs.a.outputs.lst == jobs.a.outputs.lst", true],
  ["map vs list", "jobs.a.outputs.empty_map == jobs.a.outputs.empty_list", false],
  ["map vs string", "jobs.a.outputs.nested == 'x'", false],
  ["chain true", "1 < jobs.gate.outputs.count < 3", true],
  ["chain false", "1 < jobs.gate.outputs.count < 2", false],
  ["and", "jobs.gate.status == 'SUCCESS' and jobs.gate.outputs.count == 2", true],
  ["or", "jobs.gate.outputs.has_data or jobs.gate.outputs.count == 2", true],
  ["not", "not jobs.gate.outputs.has_data", true],
  ["truthy: empty map is true", "jobs.a.outputs.empty_map", true],
  ["truthy: empty list is false", "jobs.a.outputs.empty_list", false],
  ["truthy: null is false", "jobs.a.outputs.nil", false],
  ["truthy: zero is false", "0", false],
  ["truthy: negative zero is false", "-0", false],
  ["truthy: empty string is false", "''", false],
  ["truthy: string is true", "'false'", true],
  ["truthy: non-empty list", "jobs.a.outputs.lst", true],
  ["truthy: job context is a map", "jobs.e", true],
  ["or returns the deciding value", "(jobs.a.outputs.nil or 5) == 5", true],
  ["and returns the deciding value", "(jobs.gate.outputs.count and 'x') == 'x'", true],
  ["literal false", "false", false],
];

Deno.test("evaluateWhen() follows the evaluation rules (docs/templating.md)", async (t) => {
  for (const [name, expr, want] of TRUE_FALSE_CASES) {
    await t.step(name, () => assert.equal(evaluateWhen(expr, JOBS), want));
  }
});

const ERROR_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ["acceptance 18: unknown job", "jobs.b.outputs.x == 1", "unknown job 'b'"],
  ["missing output key", "jobs.gate.outputs.x == 1", "jobs.gate.outputs has no key 'x'"],
  ["missing nested key", "jobs.a.outputs.nested.q", "jobs.a.outputs.nested has no key 'q'"],
  ["key under a scalar", "jobs.gate.outputs.count.x", "jobs.gate.outputs.count has no key 'x'"],
  ["key under status", "jobs.gate.status.x", "jobs.gate.status has no key 'x'"],
  ["unknown attribute", "jobs.gate.result == 1", "jobs.gate has no attribute 'result'"],
  [
    "acceptance 19: string > number",
    "jobs.gate.outputs.s > 2",
    "cannot compare string with number using '>'",
  ],
  ["string == number", "jobs.gate.outputs.s == 3", "cannot compare string with number using '=='"],
  ["number != string", "3 != jobs.gate.outputs.s", "cannot compare number with string using '!='"],
  ["bool ordering", "true < false", "cannot compare boolean with boolean using '<'"],
  ["null ordering", "null <= null", "cannot compare null with null using '<='"],
  ["bool vs number ordering", "true > 0", "cannot compare boolean with number using '>'"],
  ["list ordering", "jobs.a.outputs.lst >= jobs.a.outputs.lst", "cannot compare list with list using '>='"],
  ["map ordering", "jobs.a.outputs.nested < 1", "cannot compare map with number using '<'"],
  ["second link of a chain", "1 < 2 < 'x'", "cannot compare number with string using '<'"],
];

Deno.test("evaluateWhen() reports reasons as WhenEvalError (docs/templating.md)", async (t) => {
  for (const [name, expr, reason] of ERROR_CASES) {
    await t.step(name, () => {
      assert.throws(() => evaluateWhen(expr, JOBS), (err: unknown) => {
        assert.ok(err instanceof WhenEvalError);
        assert.equal(err.message, reason);
        assert.equal(err.exitCode, 1);
        return true;
      });
    });
  }
});

Deno.test("evaluateWhen() short-circuits and accepts a parsed tree", async (t) => {
  await t.step("and skips an unreachable bad reference", () => {
    assert.equal(evaluateWhen("false and jobs.nope.status == 'x'", JOBS), false);
  });
  await t.step("or skips an unreachable bad reference", () => {
    assert.equal(evaluateWhen("jobs.gate.outputs.count or jobs.nope.x > 'a' > 1", JOBS), true);
  });
  await t.step("a failed chain link stops evaluation", () => {
    assert.equal(evaluateWhen("2 < 1 < jobs.nope.x", JOBS), false);
  });
  await t.step("the reachable bad reference still fails", () => {
    assert.throws(() => evaluateWhen("true and jobs.nope.status", JOBS), { message: "unknown job 'nope'" });
  });
  await t.step("parsed tree", () => {
    const ast = parseWhen("jobs.gate.outputs.count == 2");
    assert.equal(evaluateWhen(ast, JOBS), true);
    assert.equal(evaluateWhen(ast, { gate: { status: "SUCCESS", outputs: { count: 1 } } }), false);
  });
  await t.step("null and undefined are true, booleans are themselves", () => {
    assert.equal(evaluateWhen(null, {}), true);
    assert.equal(evaluateWhen(undefined, {}), true);
    assert.equal(evaluateWhen(false, {}), false);
  });
  await t.step("invalid text throws WhenSyntaxError", () => {
    assert.throws(() => evaluateWhen("env.X == 1", JOBS), WhenSyntaxError);
  });
});
