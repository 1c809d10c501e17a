/**
 * Allowed template roots per phase (docs/templating.md).
 * @module
 */

/**
 * `resource` and `flow` (flow-meta) see only the env snapshot; steps see the runtime context.
 * A root outside the phase's list is a syntax error, not a missing key (docs/templating.md).
 */
export const PHASE_ROOTS = Object.freeze({
  resource: Object.freeze(["env"] as const),
  flow: Object.freeze(["env"] as const),
  step: Object.freeze(["env", "steps", "job", "run_id", "flow_id", "result", "jobs"] as const),
});

/** A phase name accepted by {@link PHASE_ROOTS}. */
export type TemplatePhase = keyof typeof PHASE_ROOTS;
