// `semantic:unknown_input` issues for built-in step inputs (builtins.md §0.2, D6).
import type { Issue } from "../types.ts";
import { extraKeyMessage } from "../suggest.ts";

/**
 * `semantic:unknown_input` issues for every key of `value` not in `allowed`; `loc` is `prefix` + key
 * (`step.tpye`), relative to the step's inputs.
 */
export function unknownInputIssues(
  value: Record<string, unknown>,
  allowed: readonly string[],
  prefix = "",
): Issue[] {
  return Object.keys(value).filter((k) => !allowed.includes(k)).map((k) => ({
    code: "semantic:unknown_input",
    loc: `${prefix}${k}`,
    msg: extraKeyMessage(k, allowed),
  }));
}
