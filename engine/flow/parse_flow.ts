/**
 * Schema check of a loaded flow value (docs/yaml-spec.md): all schema errors at once, in model declaration order.
 * @module
 */
import type { Issue } from "../types.ts";
import { mapZodIssues } from "./_zod_issues.ts";
import { formatLoc, type PathSegment } from "./load_yaml.ts";
import { datesAsText } from "../yaml11.ts";
import { flowSchema, type FlowSpec } from "./flow_model.ts";

/** Parsed flow (defaults applied) or the schema issues. */
export interface ParsedFlow {
  flow?: FlowSpec;
  issues: Issue[];
}

/**
 * Check `value` against the flow model.
 * @param value the loaded YAML value
 * @param options.nonStringKeys paths of non-string map keys found by the loader (each a `schema:string_type`)
 */
export function parseFlow(
  value: unknown,
  options: { nonStringKeys?: readonly PathSegment[][] } = {},
): ParsedFlow {
  const issues: Issue[] = [];
  const result = flowSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    issues.push(...mapZodIssues(result.error.issues).map(({ path: _path, ...issue }) => issue));
  }
  for (const path of options.nonStringKeys ?? []) {
    issues.push({
      code: "schema:string_type",
      loc: `${formatLoc(path)}.[key]`,
      msg: "Input should be a valid string",
    });
  }
  if (issues.length > 0) return { issues };
  // Dates can only remain in free-form values (a string field refuses them): steps get PyYAML's text.
  return { flow: datesAsText(result.data), issues };
}
