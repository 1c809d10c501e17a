import assert from "node:assert/strict";
import { checkWhen, parseWhen, WhenSyntaxError } from "./mod.ts";

// docs/templating.md and acceptance case 3; `null` = valid.
const CHECK_CASES: ReadonlyArray<readonly [string, string, string | null, number?]> = [
  ["acceptance 3: arithmetic", "jobs.a.outputs.x == 1 and (1 + 1) == 2", "Unsupported node: BinOp", 28],
  ["acceptance 3: lowercase true", "true", null],
  ["acceptance 3: TRUE is a name", "TRUE", "Unsupported name: TRUE", 1],
  ["acceptance 3: env", "env.X == 1", "Unsupported name: env", 1],
  ["acceptance 3: negative number", "jobs.a.outputs.x > -1", null],
  ["acceptance 3: in list", "jobs.a.outputs.x in [1]", "Unsupported node: In", 18],
  ["acceptance 3: dangling ==", "jobs.a.outputs.x ==", "Syntax error: ", 20],
  ["empty", "", null],
  ["blank", "  \n ", null],
  ["True/False/None", "True and not False or None", null],
  ["null", "jobs.a.skip_reason == null", null],
  ["parenthesised true", "(true)", null],
  ["double-quoted string", 'jobs.a.status == "SUCCESS"', null],
  ["single-quoted string with escapes", "jobs.a.outputs.s == 'it\\'s\\n'", null],
  ["float and exponent", "jobs.a.outputs.x >= 1.5e3 and jobs.a.outputs.y < .5", null],
  ["chain", "0 < jobs.a.outputs.n <= 10", null],
  ["all comparison operators", "1 == 1 != 2 < 3 <= 3 > 2 >= 2", null],
  ["nested not", "not not jobs.a.outputs.ok", null],
  ["space after minus is still a number", "jobs.a.outputs.x > - 1", null],
  ["deep path", "jobs.a.outputs.x.y.z == 1", null],
  ["keywords after a dot", "jobs.a.outputs.not == 1", null],
  ["job id with dash", "jobs.my-job.status == 'SUCCESS'", "Unsupported node: BinOp", 1],
  ["subtraction", "jobs.a.outputs.x - 1 > 0", "Unsupported node: BinOp", 1],
  ["multiplication", "2 * 3 == 6", "Unsupported node: BinOp", 1],
  ["true division", "1 / 2", "Unsupported node: BinOp", 1],
  ["floor division", "1 // 2", "Unsupported node: BinOp", 1],
  ["modulo", "1 % 2", "Unsupported node: BinOp", 1],
  ["power", "2 ** 3", "Unsupported node: BinOp", 1],
  ["bitwise or", "1 | 2", "Unsupported node: BinOp", 1],
  ["string concatenation", "'a' + 'b' == 'ab'", "Unsupported node: BinOp", 1],
  ["minus on a path", "-jobs.a.outputs.x < 0", "Unsupported node: USub", 1],
  ["minus on a string", "-'a'", "Unsupported node: USub", 1],
  ["double minus", "--1 == 1", "Unsupported node: USub", 1],
  ["unary plus", "+1 == 1", "Unsupported node: UAdd", 1],
  ["invert", "~1 == 1", "Unsupported node: Invert", 1],
  ["not in", "jobs.a.status not in ['x']", "Unsupported node: NotIn", 15],
  ["is", "jobs.a.skip_reason is None", "Unsupported node: Is", 20],
  ["is not", "jobs.a.skip_reason is not None", "Unsupported node: IsNot", 20],
  ["call", "len(jobs.a.outputs.rows) > 0", "Unsupported node: Call", 1],
  ["method call", "jobs.a.status.lower() == 'x'", "Unsupported node: Call", 1],
  ["subscript", "jobs.a.outputs['x'] == 1", "Unsupported node: Subscript", 1],
  ["list", "[1] == jobs.a.outputs.x", "Unsupported node: List", 1],
  ["tuple", "(1, 2) == jobs.a.outputs.x", "Unsupported node: Tuple", 1],
  ["empty tuple", "() == 1", "Unsupported node: Tuple", 1],
  ["bare tuple", "1, 2", "Unsupported node: Tuple", 1],
  ["dict", "{'a': 1} == jobs.a.outputs.x", "Unsupported node: Dict", 1],
  ["empty dict", "jobs.a.outputs.x == {}", "Unsupported node: Dict", 21],
  ["set", "{1, 2}", "Unsupported node: Set", 1],
  ["conditional expression", "1 if jobs.a.outputs.x else 2", "Unsupported node: IfExp", 1],
  ["attribute on a literal", "'a'.x == 1", "Unsupported node: Attribute", 1],
  ["other name", "x == 1", "Unsupported name: x", 1],
  ["name later in source", "jobs.a.outputs.x == 1 or y", "Unsupported name: y", 26],
  ["first offence in source order", "x == (1 + 1)", "Unsupported name: x", 1],
  ["BinOp before a later name", "(1 + 1) == x", "Unsupported node: BinOp", 2],
  ["In before its List", "1 in [x]", "Unsupported node: In", 3],
  ["unicode name", "é == 1", "Unsupported name: é", 1],
  ["bare jobs", "jobs", "Syntax error: ", 1],
  ["single =", "jobs.a.status = 'x'", "Syntax error: ", 15],
  ["unterminated string", "jobs.a.status == 'x", "Syntax error: ", 18],
  ["unknown character", "jobs.a.x == $y", "Syntax error: ", 13],
  ["lone !", "!jobs.a.x", "Syntax error: ", 1],
  ["diamond", "1 <> 2", "Syntax error: ", 4],
  ["two operands", "1 2", "Syntax error: ", 3],
  ["unclosed paren", "(1 == 1", "Syntax error: ", 8],
  ["missing operand of and", "jobs.a.x and", "Syntax error: ", 13],
  ["bad number", "1a == 1", "Syntax error: ", 1],
  ["python keyword", "lambda: 1", "Syntax error: ", 1],
  ["trailing dot", "jobs.a.", "Syntax error: ", 8],
  ["if without else", "1 if 2", "Syntax error: ", 7],
  ["syntax error wins over unsupported", "env.X ==", "Syntax error: ", 9],
];

Deno.test("checkWhen() reports upstream's messages (docs/templating.md)", async (t) => {
  for (const [name, expr, want, column] of CHECK_CASES) {
    await t.step(name, () => {
      const got = checkWhen(expr);
      if (want === null) return assert.equal(got, null);
      assert.ok(got !== null, `expected an error for ${JSON.stringify(expr)}`);
      if (want.startsWith("Syntax error: ")) assert.ok(got.msg.startsWith(want), got.msg);
      else assert.equal(got.msg, want);
      if (column !== undefined) assert.equal(got.column, column);
    });
  }
});

Deno.test("parseWhen() builds the tree and throws WhenSyntaxError", async (t) => {
  await t.step("blank and absent are always true", () => {
    for (const e of ["", "  ", null, undefined]) {
      assert.deepEqual(parseWhen(e), { kind: "literal", value: true });
    }
  });
  await t.step("a YAML boolean is a literal", () => {
    assert.deepEqual(parseWhen(false), { kind: "literal", value: false });
  });
  await t.step("precedence: or < and < not < comparison", () => {
    assert.deepEqual(parseWhen("not jobs.a.status == 'X' or jobs.b.outputs.n > -2 and true"), {
      kind: "or",
      operands: [
        {
          kind: "not",
          operand: {
            kind: "compare",
            left: { kind: "path", path: ["a", "status"] },
            ops: ["=="],
            comparators: [{ kind: "literal", value: "X" }],
          },
        },
        {
          kind: "and",
          operands: [
            {
              kind: "compare",
              left: { kind: "path", path: ["b", "outputs", "n"] },
              ops: [">"],
              comparators: [{ kind: "literal", value: -2 }],
            },
            { kind: "literal", value: true },
          ],
        },
      ],
    });
  });
  await t.step("string escapes", () => {
    assert.deepEqual(parseWhen(String.raw`'a\'b\"c\\d\ne\tf\x'`), {
      kind: "literal",
      value: "a'b\"c\\d\ne\tf\\x",
    });
  });
  await t.step("error carries code and column", () => {
    assert.throws(() => parseWhen("jobs.a.x in [1]"), (err: unknown) => {
      assert.ok(err instanceof WhenSyntaxError);
      assert.equal(err.code, "semantic:invalid_when");
      assert.equal(err.message, "Unsupported node: In");
      assert.equal(err.column, 10);
      assert.equal(err.exitCode, 2);
      return true;
    });
  });
});
