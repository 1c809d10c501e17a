// The target maps of the fill steps: the schema of each key (types, unknown keys, D17 coercions) and the value
// rules that carry the target's name in their message (`excel_fill_small target=<n>: invalid insert=<v>`), shared
// by validation (literal values) and the run.
import type { z } from "zod";
import { StepError } from "../../errors.ts";
import { fields, isMap, isTemplated, toText } from "../../inputs/mod.ts";
import type { Issue } from "../../types.ts";

/** An optional boolean whose absence means "computed from the other keys". */
export function optionalBool(): z.ZodType<boolean | null> {
  return fields.bool({ default: null as unknown as boolean }) as unknown as z.ZodType<boolean | null>;
}

/** Keys both fill steps accept in a target. */
export const COMMON_TARGET_KEYS = {
  name: fields.text({ default: "target", scalars: true }),
  sheet: fields.text({ default: null, scalars: true }),
  anchor: fields.text({ default: null, scalars: true }),
  cell: fields.text({ default: null, scalars: true }),
  row_count: fields.any(),
  insert: fields.any(),
  anchor_is_marker: optionalBool(),
  template_has_header: optionalBool(),
  header_mode: fields.any(),
  header_style: fields.any(),
  header_clear: fields.bool({ default: true }),
  header_clear_width: fields.any(),
  anchor_clear: fields.bool({ default: false }),
  anchor_clear_mode: fields.any(),
  anchor_clear_width: fields.int({ default: 1, min: 1 }),
  type_cast: fields.any(),
  dtypes: fields.jsonish(),
  dtypes_json: fields.jsonish(),
  style_mode: fields.any(),
  style_row_offset: fields.int({ default: 2 }),
  style_apply: fields.any(),
  clear_style_row: fields.bool({ default: false }),
  max_rows: fields.int({ default: null }),
  max_total_rows: fields.int({ default: null }),
  max_cols: fields.int({ default: null }),
};

/** Keys whose value is one of a list; checked with the target's name in the message. */
export const TARGET_CHOICES: Readonly<Record<string, readonly string[]>> = {
  insert: ["below", "replace"],
  header_mode: ["template", "override", "append"],
  header_style: ["template", "style_row"],
  anchor_clear_mode: ["cell", "row"],
  type_cast: ["none", "basic", "schema"],
  style_mode: ["none", "copy_row"],
  style_apply: ["data", "header", "both"],
  mode: ["data_sheet", "report_region"],
};

/** A target-scoped error message prefix. */
export function targetPrefix(stepType: string, name: string): string {
  return `${stepType} target=${name}: `;
}

/**
 * The lower-cased choice of `key`, `fallback` when absent/null/blank, or an error message
 * (`invalid <key>=<value>`).
 */
export function choiceOf(
  key: string,
  value: unknown,
  fallback: string,
): { value: string } | { error: string } {
  if (value === undefined || value === null) return { value: fallback };
  const raw = toText(value);
  const t = raw.trim().toLowerCase();
  if (t === "") return { value: fallback };
  return TARGET_CHOICES[key]!.includes(t) ? { value: t } : { error: `invalid ${key}=${raw}` };
}

/** The `choiceOf` value, or a StepError with the target prefix. */
export function pickChoice(prefix: string, key: string, value: unknown, fallback: string): string {
  const r = choiceOf(key, value, fallback);
  if ("error" in r) throw new StepError(prefix + r.error);
  return r.value;
}

/** Validate-time issues of literal target values (templated ones are judged when the step runs). */
export function targetChoiceIssues(
  stepType: string,
  raw: Record<string, unknown>,
  keys: readonly string[],
): Issue[] {
  const issues: Issue[] = [];
  if (!Array.isArray(raw.targets)) return issues;
  raw.targets.forEach((target: unknown, i: number) => {
    if (!isMap(target)) return;
    const name = typeof target.name === "string" && !isTemplated(target.name) ? target.name : "target";
    for (const key of keys) {
      const v = target[key];
      if (isTemplated(v)) continue;
      const r = choiceOf(key, v, TARGET_CHOICES[key]![0]!);
      if ("error" in r) {
        issues.push({
          code: "semantic:invalid_input",
          loc: `targets[${i}].${key}`,
          msg: targetPrefix(stepType, name) + r.error,
        });
      }
    }
  });
  return issues;
}
