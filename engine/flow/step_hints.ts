/**
 * Doctor hints of every step (`StepDefinition.hints`), nested steps included, with full locs.
 * @module
 */
import { isMap } from "../inputs/mod.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { Issue } from "../types.ts";
import type { FlowSpec } from "./flow_model.ts";

function _hintsOf(
  step: { type: unknown; inputs: unknown },
  loc: string,
  registry: StepRegistry,
  depth: number,
) {
  const out: Issue[] = [];
  const def = typeof step.type === "string" ? registry.get(step.type) : undefined;
  if (!def || !isMap(step.inputs)) return out;
  const inputsLoc = `${loc}.inputs`;
  for (const h of def.hints?.(step.inputs) ?? []) {
    out.push({ ...h, loc: h.loc === "" ? inputsLoc : `${inputsLoc}.${h.loc}` });
  }
  if (depth >= 20) return out;
  for (const inner of def.nested?.(step.inputs) ?? []) {
    out.push(..._hintsOf(inner, `${inputsLoc}.${inner.loc}`, registry, depth + 1));
  }
  return out;
}

/** Every hint of the flow's steps, in step order; `loc` is the full YAML path. */
export function collectStepHints(flow: FlowSpec, registry: StepRegistry): Issue[] {
  const out: Issue[] = [];
  flow.jobs.forEach((job, i) => {
    job.steps.forEach((step, j) => out.push(..._hintsOf(step, `jobs[${i}].steps[${j}]`, registry, 0)));
  });
  return out;
}
