/**
 * Validate-time check of the resources steps name (`StepDefinition.connector`): when the input naming the
 * resource is a literal, the resource must exist, have an accepted kind, and a plugin connector must declare the
 * methods the step calls (docs/validation.md).
 * @module
 */
import type { ConnectorRegistry } from "../connectors/registry.ts";
import { isMap, isTemplated } from "../inputs/mod.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { StepConnectorUse } from "../steps/types.ts";
import type { Issue } from "../types.ts";
import type { FlowSpec } from "./flow_model.ts";

interface _Options {
  steps: StepRegistry;
  connectors: ConnectorRegistry;
  resources: FlowSpec["resources"];
  /** Enterprise mode: a step whose `fallback` resource is missing is an error. */
  enterprise?: boolean;
}

/** The value naming the resource: `input`, else the first alias given (absent, null and "" are not given). */
function _named(use: StepConnectorUse, inputs: Record<string, unknown>): unknown {
  for (const key of [use.input, ...(use.aliases ?? [])]) {
    const v = inputs[key];
    if (v !== undefined && v !== null && v !== "") return v;
  }
  return undefined;
}

function _check(
  step: { type: unknown; inputs: unknown },
  loc: string,
  options: _Options,
  depth: number,
): Issue[] {
  const def = typeof step.type === "string" ? options.steps.get(step.type) : undefined;
  if (!def || !isMap(step.inputs)) return [];
  const inputsLoc = `${loc}.inputs`;
  const out: Issue[] = [];
  const inputs = step.inputs;
  const use = def.connector;
  const name = use ? _named(use, inputs) : undefined;
  const fallback = use?.fallback;
  const refused = fallback?.enterprise;
  if (
    name === undefined && refused && options.enterprise &&
    !Object.hasOwn(options.resources, fallback.resource)
  ) {
    out.push({ code: refused.code, loc: inputsLoc, msg: refused.msg });
  }
  if (use && typeof name === "string" && !isTemplated(name)) {
    const key = [use.input, ...(use.aliases ?? [])].find((k) => inputs[k] === name) ?? use.input;
    const at = `${inputsLoc}.${key}`;
    const res = Object.hasOwn(options.resources, name) ? options.resources[name] : undefined;
    if (!res) {
      const known = JSON.stringify(Object.keys(options.resources).sort());
      out.push({
        code: "semantic:unknown_resource",
        loc: at,
        msg: `Unknown resource: ${name}. Known: ${known}`,
      });
    } else if (!(use.kinds as readonly string[]).includes(res.kind)) {
      const want = use.kinds.join("|");
      out.push({
        code: "semantic:resource_kind",
        loc: at,
        msg: `Resource ${name} is kind=${res.kind}, requested kind=${want}`,
      });
    } else {
      const declared = options.connectors.find(res.kind, res.driver)?.methods ?? [];
      const lacking = declared.length === 0 ? [] : use.methods.filter((m) => !declared.includes(m));
      if (lacking.length > 0) {
        out.push({
          code: "semantic:connector_methods",
          loc: at,
          msg: `Connector ${res.kind}:${res.driver} of resource ${name} does not declare ${
            JSON.stringify(lacking)
          }`,
        });
      }
    }
  }
  if (depth < 20) {
    for (const inner of def.nested?.(step.inputs) ?? []) {
      out.push(..._check(inner, `${inputsLoc}.${inner.loc}`, options, depth + 1));
    }
  }
  return out;
}

/** Issues of every step (nested ones included) that names a resource through `StepDefinition.connector`. */
export function stepConnectorIssues(flow: FlowSpec, options: Omit<_Options, "resources">): Issue[] {
  const out: Issue[] = [];
  const all = { ...options, resources: flow.resources };
  flow.jobs.forEach((job, i) => {
    job.steps.forEach((step, j) => out.push(..._check(step, `jobs[${i}].steps[${j}]`, all, 0)));
  });
  return out;
}
