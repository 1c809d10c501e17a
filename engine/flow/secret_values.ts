/**
 * Secrets a flow declares through its built-ins, known before it runs: the values of connector config fields
 * that drivers mark as secret (`ConnectorDefinition.secrets`) and of step inputs marked secret
 * (`StepDefinition.secretInputs`), as literals or rendered from `{{env.*}}`. The composition root registers
 * them with the masker before the run record is written (docs/secrets.md).
 * @module
 */
import { isMaskableSecret, type ProfileLike } from "../config/mod.ts";
import { resourceSecrets } from "../connectors/config.ts";
import type { ConnectorRegistry } from "../connectors/registry.ts";
import { isMap } from "../types.ts";
import { PHASE_ROOTS, renderValue } from "../resolver/mod.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { FlowSpec } from "./flow_model.ts";

function _stepSecrets(
  step: { type: unknown; inputs: unknown },
  options: { steps: StepRegistry; snapshot: Readonly<Record<string, string>> },
  out: Set<string>,
  depth: number,
): void {
  const def = typeof step.type === "string" ? options.steps.get(step.type) : undefined;
  if (!def || !isMap(step.inputs)) return;
  for (const name of def.secretInputs ?? []) {
    const raw = step.inputs[name];
    if (typeof raw !== "string" || raw === "") continue;
    try {
      // Only env templates render here; a value from another step's output is registered when the step runs.
      const value = renderValue(raw, { env: options.snapshot }, { roots: PHASE_ROOTS.resource });
      if (typeof value === "string" && value !== "") out.add(value);
    } catch {
      // not renderable before the run
    }
  }
  if (depth < 20) {
    for (const inner of def.nested?.(step.inputs) ?? []) _stepSecrets(inner, options, out, depth + 1);
  }
}

/** Every secret value of `flow` known before it runs. */
export function flowSecretValues(
  flow: FlowSpec,
  options: {
    steps: StepRegistry;
    connectors: ConnectorRegistry;
    profiles?: Readonly<Record<string, ProfileLike>>;
    snapshot: Readonly<Record<string, string>>;
  },
): string[] {
  const out = new Set(resourceSecrets(flow.resources, {
    registry: options.connectors,
    profiles: options.profiles,
    snapshot: options.snapshot,
  }));
  for (const job of flow.jobs) {
    for (const step of job.steps) _stepSecrets(step, options, out, 0);
  }
  return [...out].filter(isMaskableSecret);
}
