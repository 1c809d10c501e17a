/**
 * `when:` expressions (docs/templating.md) [D8]: and/or/not, comparisons, literals and `jobs.<id>…` paths,
 * parsed by our own parser and evaluated without coercion between strings and numbers.
 * @module
 */
export { checkWhen, parseWhen, WhenSyntaxError } from "./parse_when.ts";
export { evaluateWhen, WhenEvalError } from "./evaluate.ts";
export type { WhenJobContext } from "./evaluate.ts";
export type { CompareOp, WhenExpr } from "./when_expr.ts";
