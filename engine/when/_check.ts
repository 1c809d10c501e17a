/** Allow-list check and lowering of the raw tree (docs/templating.md) [D8]. */
import type { RawNode } from "./_parser.ts";
import type { CompareOp, WhenExpr } from "./when_expr.ts";

// Comparison operators the parser recognises but the language rejects (upstream's cmpop names).
const _UNSUPPORTED_OPS = new Set(["In", "NotIn", "Is", "IsNot"]);

/** The first unsupported construct: contract message and 1-based column. */
export interface Offence {
  msg: string;
  column: number;
}

/**
 * The first offending construct in source order (smallest column; on a tie the outer node, as
 * upstream's breadth-first AST walk would report), or undefined when the tree is in the language.
 */
export function findOffence(root: RawNode): Offence | undefined {
  let best: Offence | undefined;
  const note = (msg: string, column: number) => {
    if (best === undefined || column < best.column) best = { msg, column };
  };
  const visit = (node: RawNode): void => {
    switch (node.k) {
      case "lit":
      case "path":
        return;
      case "name":
        // A bare `jobs` is outside the grammar (`path := "jobs" ("." IDENT)+`).
        if (node.id === "jobs") note("Syntax error: expected '.<job_id>' after 'jobs'", node.col);
        else note(`Unsupported name: ${node.id}`, node.col);
        return;
      case "attr":
        if (node.value.k !== "name") note("Unsupported node: Attribute", node.col);
        return visit(node.value);
      case "bool":
        return node.values.forEach(visit);
      case "not":
        return visit(node.operand);
      case "cmp":
        visit(node.left);
        node.ops.forEach((op, i) => {
          if (_UNSUPPORTED_OPS.has(op.op)) note(`Unsupported node: ${op.op}`, op.col);
          visit(node.rights[i]!);
        });
        return;
      case "bad":
        note(`Unsupported node: ${node.node}`, node.col);
        return node.kids.forEach(visit);
    }
  };
  visit(root);
  return best;
}

/** Convert a tree that passed {@link findOffence} into a WhenExpr. */
export function lower(node: RawNode): WhenExpr {
  switch (node.k) {
    case "lit":
      return { kind: "literal", value: node.value };
    case "path":
      return { kind: "path", path: node.segs };
    case "bool":
      return { kind: node.op, operands: node.values.map(lower) };
    case "not":
      return { kind: "not", operand: lower(node.operand) };
    case "cmp":
      return {
        kind: "compare",
        left: lower(node.left),
        ops: node.ops.map((o) => o.op as CompareOp),
        comparators: node.rights.map(lower),
      };
    default:
      throw new Error(`unchecked when node: ${node.k}`);
  }
}
