/**
 * Evaluation of `when` expressions against earlier jobs (docs/templating.md) [D8].
 * @module
 */
import { AetherflowError, EXIT } from "../errors.ts";
import { parseWhen } from "./parse_when.ts";
import type { CompareOp, WhenExpr } from "./when_expr.ts";
import { isMap } from "../types.ts";

/** What `when` can read of a job processed earlier (or restored from state for this run id [D4]). */
export interface WhenJobContext {
  status: string;
  outputs: Readonly<Record<string, unknown>>;
  skip_reason?: string | null;
  skip_trigger?: string | null;
}

/**
 * A `when` that cannot be evaluated: `message` is the reason (`unknown job 'b'`); the runner prefixes
 * `Invalid job.when for job_id=<id>: ` and fails the job [ours wording].
 */
export class WhenEvalError extends AetherflowError {
  constructor(message: string) {
    super(message, { code: "when:eval", exitCode: EXIT.FAILED });
    this.name = "WhenEvalError";
  }
}

/**
 * Evaluate a `when` (text or parsed) to a boolean. `and`/`or` short-circuit, the result is converted by
 * truthiness (`false`, `0`, `""`, `null`, `[]` are false; any map is true), and there is no coercion
 * between strings and numbers [D8].
 *
 * @throws {WhenSyntaxError} when given text outside the language.
 * @throws {WhenEvalError} unknown job, missing key, forbidden comparison.
 * @example Usage
 * ```ts
 * import { evaluateWhen } from "./evaluate.ts";
 * import assert from "node:assert/strict";
 * const jobs = { gate: { status: "SUCCESS", outputs: { count: 2 } } };
 * assert.equal(evaluateWhen("jobs.gate.outputs.count > 1", jobs), true);
 * assert.throws(() => evaluateWhen("jobs.b.status == 'SUCCESS'", jobs), { message: "unknown job 'b'" });
 * ```
 */
export function evaluateWhen(
  exprOrAst: WhenExpr | string | boolean | null | undefined,
  jobs: Readonly<Record<string, WhenJobContext>>,
): boolean {
  const ast = typeof exprOrAst === "object" && exprOrAst !== null ? exprOrAst : parseWhen(exprOrAst);
  return _truthy(_eval(ast, jobs));
}

function _eval(node: WhenExpr, jobs: Readonly<Record<string, WhenJobContext>>): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "path":
      return _readPath(node.path, jobs);
    case "not":
      return !_truthy(_eval(node.operand, jobs));
    case "and":
    case "or": {
      // Python semantics: the deciding operand is the value; later operands are never evaluated.
      let value: unknown = null;
      for (const operand of node.operands) {
        value = _eval(operand, jobs);
        if (_truthy(value) === (node.kind === "or")) return value;
      }
      return value;
    }
    case "compare": {
      // Chains: a < b < c == a < b and b < c, each operand evaluated at most once, lazily.
      let left = _eval(node.left, jobs);
      for (let i = 0; i < node.ops.length; i++) {
        const right = _eval(node.comparators[i]!, jobs);
        if (!_compare(node.ops[i]!, left, right)) return false;
        left = right;
      }
      return true;
    }
  }
}

function _readPath(path: readonly string[], jobs: Readonly<Record<string, WhenJobContext>>): unknown {
  const [id, attr, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(jobs, id)) throw new WhenEvalError(`unknown job '${id}'`);
  const job = jobs[id]!;
  if (attr === undefined) return job;
  let cur: unknown;
  switch (attr) {
    case "status":
      cur = job.status;
      break;
    case "outputs":
      cur = job.outputs;
      break;
    case "skip_reason":
    case "skip_trigger":
      cur = job[attr] ?? null;
      break;
    default:
      throw new WhenEvalError(`jobs.${id} has no attribute '${attr}'`);
  }
  let where = `jobs.${id}.${attr}`;
  for (const key of rest) {
    if (!isMap(cur) || !Object.hasOwn(cur, key)) throw new WhenEvalError(`${where} has no key '${key}'`);
    cur = cur[key];
    where += `.${key}`;
  }
  return cur;
}

/** Truthiness [D8]: unlike Python, an empty map is true (docs/templating.md). */
function _truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "number") return !Number.isNaN(value);
  return true;
}

function _typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "map";
  return typeof value;
}

// The comparison table of docs/templating.md: no implicit coercion, `3 == 3.0`, bool vs number `==` is false.
function _compare(op: CompareOp, a: unknown, b: unknown): boolean {
  const ta = _typeName(a);
  const tb = _typeName(b);
  const fail = () => new WhenEvalError(`cannot compare ${ta} with ${tb} using '${op}'`);
  if ((ta === "string" && tb === "number") || (ta === "number" && tb === "string")) throw fail();
  if (op === "==" || op === "!=") return _deepEqual(a, b) === (op === "==");
  let order: number;
  if (ta === "number" && tb === "number") order = (a as number) - (b as number);
  else if (ta === "string" && tb === "string") order = _compareCodePoints(a as string, b as string);
  else throw fail();
  switch (op) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
  }
}

function _deepEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => _deepEqual(item, b[i]));
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && _deepEqual(a[k], b[k]));
  }
  return a === b;
}

// Unicode code point order (JS `<` compares UTF-16 units, which misorders astral characters).
function _compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}
