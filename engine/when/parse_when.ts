/**
 * Parsing and validation of `when` expressions (docs/templating.md) [D8].
 * @module
 */
import { AetherflowError, EXIT } from "../errors.ts";
import { findOffence, lower } from "./_check.ts";
import { LexSyntaxError } from "./_lexer.ts";
import { parseRaw } from "./_parser.ts";
import type { WhenExpr } from "./when_expr.ts";

/**
 * A `when` expression outside the language. `message` is the contract text (`Syntax error: …`,
 * `Unsupported node: BinOp`, `Unsupported name: env`); `column` is 1-based in the expression.
 */
export class WhenSyntaxError extends AetherflowError {
  readonly column: number;
  constructor(message: string, column: number) {
    super(message, { code: "semantic:invalid_when", exitCode: EXIT.INVALID });
    this.name = "WhenSyntaxError";
    this.column = column;
  }
}

const _ALWAYS: WhenExpr = Object.freeze({ kind: "literal", value: true });

/**
 * Parse a `when` expression. Empty, blank or absent -> always true. Our own parser (no eval): upstream's
 * AST allow-list is reproduced, so unsupported Python constructs keep their node names.
 *
 * @throws {WhenSyntaxError} code `semantic:invalid_when`.
 * @example Usage
 * ```ts
 * import { parseWhen } from "./parse_when.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseWhen("jobs.gate.outputs.has_data == true").kind, "compare");
 * assert.throws(() => parseWhen("(1 + 1) == 2"), { message: "Unsupported node: BinOp" });
 * ```
 */
export function parseWhen(expr: string | boolean | null | undefined): WhenExpr {
  if (expr === null || expr === undefined) return _ALWAYS;
  // YAML turns `when: true` into a boolean before we see it; treat it as the literal.
  if (typeof expr === "boolean") return { kind: "literal", value: expr };
  if (expr.trim() === "") return _ALWAYS;
  let raw;
  try {
    raw = parseRaw(expr);
  } catch (err) {
    if (err instanceof LexSyntaxError) {
      throw new WhenSyntaxError(`Syntax error: ${err.message} (column ${err.column})`, err.column);
    }
    throw err;
  }
  const offence = findOffence(raw);
  if (offence !== undefined) throw new WhenSyntaxError(offence.msg, offence.column);
  return lower(raw);
}

/**
 * Validate a `when` expression for the report (docs/templating.md, loc `jobs[<i>].when`).
 *
 * @returns null when valid, else the contract message and its 1-based column.
 * @example Usage
 * ```ts
 * import { checkWhen } from "./parse_when.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkWhen("env.X == 1"), { msg: "Unsupported name: env", column: 1 });
 * assert.equal(checkWhen(""), null);
 * ```
 */
export function checkWhen(expr: string | boolean | null | undefined): { msg: string; column: number } | null {
  try {
    parseWhen(expr);
    return null;
  } catch (err) {
    if (err instanceof WhenSyntaxError) return { msg: err.message, column: err.column };
    throw err;
  }
}
