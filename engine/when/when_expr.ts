/**
 * The checked syntax tree of a `when` expression (docs/templating.md) [D8].
 * @module
 */

/** A comparison operator of the language. */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A parsed, validated `when` expression. `path` holds the segments after `jobs` (`["a","outputs","x"]`). */
export type WhenExpr =
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "path"; readonly path: readonly string[] }
  | { readonly kind: "not"; readonly operand: WhenExpr }
  | { readonly kind: "and" | "or"; readonly operands: readonly WhenExpr[] }
  | {
    readonly kind: "compare";
    readonly left: WhenExpr;
    readonly ops: readonly CompareOp[];
    readonly comparators: readonly WhenExpr[];
  };
