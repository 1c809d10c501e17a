/**
 * A step's inputs checked against its schema: issues on raw inputs at validate time, typed values at run time
 * (docs/steps.md "Input typing"). One code per kind of problem:
 *
 * | problem | validate code | run code | run message |
 * |---|---|---|---|
 * | missing | `semantic:missing_input` | `step:missing_inputs` | `Step <id> missing inputs: ["a","b.c"]` |
 * | unknown | `semantic:unknown_input` | `step:unknown_input` | `Unknown input <path>` |
 * | wrong type | `semantic:invalid_input` | `step:invalid_input` | `<type> inputs.<path> must be …` |
 * @module
 */
import { StepError } from "../errors.ts";
import { checkRaw, type FieldProblem, formatPath, parseFields } from "../inputs/mod.ts";
import type { Issue } from "../types.ts";
import type { StepDefinition } from "./types.ts";

const _VALIDATE_CODES = {
  missing: "semantic:missing_input",
  unknown: "semantic:unknown_input",
  invalid: "semantic:invalid_input",
} as const;

function _invalidText(type: string, p: FieldProblem): string {
  return p.verbatim ? p.message : `${type} inputs.${formatPath(p.path)} ${p.message}`;
}

/**
 * Validate-time issues of one step's raw inputs: the schema's (templated values skipped), then the step's own
 * `validate` rules, which replace the schema's issues at the same loc. Locs are relative to the inputs map.
 */
export function stepInputIssues(
  def: Pick<StepDefinition<unknown>, "type" | "inputs" | "validate">,
  raw: Record<string, unknown>,
): Issue[] {
  const own = def.validate?.(raw) ?? [];
  const ownLocs = new Set(own.map((i) => i.loc));
  const fromSchema: Issue[] = [];
  if (def.inputs) {
    for (const p of checkRaw(def.inputs, raw)) {
      const loc = formatPath(p.path);
      if (ownLocs.has(loc)) continue;
      const msg = p.kind === "missing"
        ? `${def.type} requires inputs.${loc}`
        : p.kind === "unknown"
        ? p.message
        : _invalidText(def.type, p);
      fromSchema.push({ code: p.code ?? _VALIDATE_CODES[p.kind], loc, msg });
    }
  }
  return [...own, ...fromSchema];
}

/**
 * Parse rendered inputs into the step's input type (the rendered map as is when it has no schema).
 * @throws {StepError} with the run messages of the table above; missing inputs are listed together.
 */
export function parseStepInputs<I>(
  def: Pick<StepDefinition<I>, "type" | "inputs">,
  rendered: Record<string, unknown>,
  stepId: string,
): I {
  if (!def.inputs) return rendered as I;
  const parsed = parseFields(def.inputs, rendered);
  if (parsed.ok) return parsed.value;
  const missing = parsed.problems.filter((p) => p.kind === "missing").map((p) => formatPath(p.path));
  if (missing.length > 0) {
    throw new StepError(`Step ${stepId} missing inputs: ${JSON.stringify(missing)}`, {
      code: "step:missing_inputs",
    });
  }
  const unknown = parsed.problems.find((p) => p.kind === "unknown");
  if (unknown) {
    throw new StepError(`Unknown input ${formatPath(unknown.path)}`, { code: "step:unknown_input" });
  }
  throw new StepError(_invalidText(def.type, parsed.problems[0]!), { code: "step:invalid_input" });
}
