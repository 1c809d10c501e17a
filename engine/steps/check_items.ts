// `check_items`: a gate that is SKIPPED when a list has fewer than `min_count` items (docs/steps.md).
import { fail, field, fields } from "../inputs/mod.ts";
import { defineStep, type StepResult } from "./types.ts";

const _NOT_A_LIST = "check_items expects 'items' to be a list or a comma-separated string";

/** `items` as a list: a list as is, a comma string split, trimmed, empties dropped [verified upstream]. */
export function itemsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return undefined;
}

/** The pure gate decision. */
export function checkItems(items: readonly unknown[], minCount: number): StepResult {
  const count = items.length;
  if (count >= minCount) return { status: "SUCCESS", outputs: { has_data: true, count } };
  return {
    status: "SKIPPED",
    outputs: { has_data: false, count },
    reason: `count(${count}) < min_count(${minCount})`,
  };
}

export const checkItemsStep = defineStep({
  type: "check_items",
  origin: "builtin",
  sideEffectFree: true,
  inputs: fields.fixedMap({
    items: field((v, ctx) => itemsOf(v) ?? fail(ctx, _NOT_A_LIST, { verbatim: true }), { required: true }),
    min_count: fields.int({ default: 1 }),
  }),
  run: (input) => checkItems(input.items, input.min_count),
});
