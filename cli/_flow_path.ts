// The flow path rules shared by run/validate/doctor/explain (docs/cli.md) [D1].
import { UsageError } from "../engine/errors.ts";
import { normalizeFlowPath } from "../engine/flow/mod.ts";

export const BOTH_FLOW_MSG = "give the flow either as FLOW_YAML or with --flow-yaml, not both";
export const MISSING_FLOW_MSG = "missing flow file: give FLOW_YAML or --flow-yaml";

export interface ResolveFlowPathOptions {
  /** The positional FLOW_YAML argument. */
  positional?: string;
  /** The `--flow-yaml` option. */
  option?: string;
}

/**
 * Pick the flow path from the positional argument and `--flow-yaml` (returned as given; the report path is
 * normalised by validation). Both given and different (after normalising) or neither given -> UsageError
 * (exit 2).
 */
export function resolveFlowPath(options: ResolveFlowPathOptions): string {
  const path = resolveOptionalFlowPath(options);
  if (path === undefined) throw new UsageError(MISSING_FLOW_MSG);
  return path;
}

/** Like {@linkcode resolveFlowPath} but neither given returns undefined (a bundle manifest names the flow). */
export function resolveOptionalFlowPath(options: ResolveFlowPathOptions): string | undefined {
  const pos = options.positional === "" ? undefined : options.positional;
  const opt = options.option === "" ? undefined : options.option;
  if (pos !== undefined && opt !== undefined && normalizeFlowPath(pos) !== normalizeFlowPath(opt)) {
    throw new UsageError(BOTH_FLOW_MSG);
  }
  return opt ?? pos;
}
