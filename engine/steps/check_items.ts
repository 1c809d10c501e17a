// `check_items`: a gate that is SKIPPED when a list has fewer than `min_count` items (builtins.md §1.12).
import { StepError } from "../errors.ts";
import type { StepDefinition, StepResult } from "./types.ts";
import { unknownInputIssues } from "./_suggest.ts";
import { inputLabel, toInt } from "./_coerce.ts";

const _TYPE = "check_items";
const _INPUTS = ["items", "min_count"] as const;
const _REQUIRED = ["items"] as const;

/** `items` as a list: a list as is, a comma string split, trimmed, empties dropped [verified upstream]. */
export function itemsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  throw new StepError("check_items expects 'items' to be a list or a comma-separated string", {
    code: "step:invalid_input",
  });
}

/** The pure gate decision (STYLE.md §3). */
export function checkItems(items: readonly unknown[], minCount: number): StepResult {
  const count = items.length;
  if (count >= minCount) return { status: "SUCCESS", outputs: { has_data: true, count } };
  return {
    status: "SKIPPED",
    outputs: { has_data: false, count },
    reason: `count(${count}) < min_count(${minCount})`,
  };
}

export const checkItemsStep: StepDefinition = {
  type: _TYPE,
  origin: "builtin",
  validate: (raw) => unknownInputIssues(raw, _INPUTS),
  run(inputs, ctx) {
    const missing = _REQUIRED.filter((k) => !(k in inputs));
    if (missing.length > 0) {
      throw new StepError(`Step ${ctx.stepId} missing inputs: ${JSON.stringify(missing)}`, {
        code: "step:missing_inputs",
      });
    }
    const unknown = unknownInputIssues(inputs, _INPUTS);
    if (unknown[0]) {
      throw new StepError(`Unknown input ${unknown[0].loc}`, { code: "semantic:unknown_input" });
    }
    return checkItems(itemsOf(inputs.items), toInt(inputs.min_count, inputLabel(_TYPE, "min_count"), 1));
  },
};
