// Which env keys a flow depends on (docs/state.md "Run history"): the run record keeps their masked values so
// `runs diff` can answer "what changed since it worked".
import { stringLeaves, templateEnvKeys } from "../resolver/mod.ts";
import type { FlowSpec, ProfileSpec } from "./flow_model.ts";

/**
 * Every env key named by a `{{env.KEY}}` token anywhere in the flow (flow block, resources, steps) and in the
 * profiles its resources use, sorted and de-duplicated.
 */
export function referencedEnvKeys(
  flow: FlowSpec,
  profiles: Readonly<Record<string, ProfileSpec>> = {},
): string[] {
  const keys = new Set<string>();
  const collect = (value: unknown) => {
    for (const leaf of stringLeaves(value, "")) for (const k of templateEnvKeys(leaf.value)) keys.add(k);
  };
  collect(flow);
  for (const res of Object.values(flow.resources)) {
    const profile = typeof res.profile === "string" ? profiles[res.profile] : undefined;
    if (profile !== undefined) collect(profile);
  }
  return [...keys].sort();
}
