/**
 * Semantic rules of a schema-valid flow (docs/validation.md), all of them, in emission order.
 * @module
 */
import type { StepRegistry } from "../steps/registry.ts";
import { stepInputIssues } from "../steps/inputs.ts";
import { isMap } from "../inputs/mod.ts";
import type { Issue } from "../types.ts";
import { checkWhen } from "../when/mod.ts";
import type { FlowSpec } from "./flow_model.ts";

export interface SemanticOptions {
  registry: StepRegistry;
  /** Enterprise mode (snapshot `AETHERFLOW_MODE`, or the manifest `mode` with a bundle). */
  enterprise: boolean;
  /** Allowed archive drivers in enterprise mode (manifest `zip_drivers`; empty without a manifest). */
  archiveAllowList: readonly string[];
}

/** Run every semantic rule; issues in the documented emission order. */
export function checkSemantics(flow: FlowSpec, options: SemanticOptions): Issue[] {
  const out: Issue[] = [];
  _archiveDrivers(flow, options, out);
  _duplicateJobIds(flow, out);
  _duplicateStepIds(flow, out);
  _dependsOn(flow, out);
  _stepTypes(flow, options.registry, out);
  _whens(flow, out);
  return out;
}

function _archiveDrivers(flow: FlowSpec, options: SemanticOptions, out: Issue[]): void {
  if (!options.enterprise) return;
  const allowed = [...options.archiveAllowList].sort();
  for (const [name, res] of Object.entries(flow.resources)) {
    if (res.kind !== "archive" || allowed.includes(res.driver)) continue;
    out.push({
      code: "semantic:enterprise_archive_driver",
      loc: `resources.${name}.driver`,
      msg: `Enterprise mode requires archive driver in ${JSON.stringify(allowed)}; got ${
        JSON.stringify(res.driver)
      }`,
    });
  }
}

function _duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup].sort();
}

function _duplicateJobIds(flow: FlowSpec, out: Issue[]): void {
  for (const id of _duplicates(flow.jobs.map((j) => j.id))) {
    out.push({ code: "semantic:duplicate_job_id", loc: "jobs", msg: `Duplicate job id: ${id}` });
  }
}

function _duplicateStepIds(flow: FlowSpec, out: Issue[]): void {
  flow.jobs.forEach((job, i) => {
    for (const id of _duplicates(job.steps.map((s) => s.id))) {
      out.push({
        code: "semantic:duplicate_step_id",
        loc: `jobs[${i}].steps`,
        msg: `Duplicate step id in job '${job.id}': ${id}`,
      });
    }
  });
}

function _dependsOn(flow: FlowSpec, out: Issue[]): void {
  // Last occurrence of a duplicated id decides "appears after".
  const index = new Map<string, number>();
  flow.jobs.forEach((job, i) => index.set(job.id, i));
  flow.jobs.forEach((job, i) => {
    for (const dep of job.depends_on) {
      const at = index.get(dep);
      if (at === undefined) {
        out.push({
          code: "semantic:depends_on_unknown_job",
          loc: `jobs[${i}].depends_on`,
          msg: `Job '${job.id}' depends_on unknown job: ${dep}`,
        });
      } else if (at > i) {
        out.push({
          code: "semantic:depends_on_order",
          loc: `jobs[${i}].depends_on`,
          msg: `Job '${job.id}' depends_on '${dep}' which appears after it; reorder jobs`,
        });
      }
    }
  });
}

function _stepTypes(flow: FlowSpec, registry: StepRegistry, out: Issue[]): void {
  flow.jobs.forEach((job, i) => {
    job.steps.forEach((step, j) => {
      checkStep({ type: step.type, inputs: step.inputs }, `jobs[${i}].steps[${j}]`, { registry, out });
    });
  });
}

/**
 * Rule 5 and 5x for one step: known type, then the definition's own input checks on the raw inputs (its schema,
 * templated values skipped, and its `validate` rules). Embedded steps (`nested`, e.g. `with_lock.step`) are
 * checked the same way [ours].
 */
export function checkStep(
  step: { type: unknown; inputs: unknown },
  loc: string,
  options: { registry: StepRegistry; out: Issue[]; depth?: number },
): void {
  const { registry, out } = options;
  if (typeof step.type !== "string") return;
  const def = registry.get(step.type);
  if (!def) {
    out.push({
      code: "semantic:unknown_step_type",
      loc: `${loc}.type`,
      msg: `Unknown step type: ${step.type}. Loaded: ${JSON.stringify(registry.types())}`,
    });
    return;
  }
  if (!isMap(step.inputs)) return;
  const inputsLoc = `${loc}.inputs`;
  let found: Issue[];
  try {
    found = stepInputIssues(def, step.inputs);
  } catch (err) {
    // A checker bug must not turn validation into a crash; report it where it happened.
    found = [{
      code: "semantic:invalid_inputs",
      loc: "",
      msg: err instanceof Error ? err.message : String(err),
    }];
  }
  for (const issue of found) out.push({ ...issue, loc: _prefix(inputsLoc, issue.loc) });
  const depth = options.depth ?? 0;
  if (depth >= 20) return;
  for (const inner of def.nested?.(step.inputs) ?? []) {
    checkStep({ type: inner.type, inputs: inner.inputs }, _prefix(inputsLoc, inner.loc), {
      ...options,
      depth: depth + 1,
    });
  }
}

function _prefix(base: string, loc: string): string {
  if (loc === "" || loc === "<root>") return base;
  return loc.startsWith("[") ? `${base}${loc}` : `${base}.${loc}`;
}

function _whens(flow: FlowSpec, out: Issue[]): void {
  flow.jobs.forEach((job, i) => {
    if (job.when === null || job.when.trim() === "") return;
    const bad = checkWhen(job.when);
    if (bad) out.push({ code: "semantic:invalid_when", loc: `jobs[${i}].when`, msg: bad.msg });
  });
}
