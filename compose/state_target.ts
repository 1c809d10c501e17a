/**
 * The state a prepared flow uses (docs/state.md "Backends"): its rendered `flow.state` block, with a PostgreSQL
 * URL from `state.url`, else from the profile `state.profile` (resolved like a resource's profile: rendered,
 * decoded, its credentials masked), else from the setting `state_url`. `run` and the history/lock commands
 * resolve it the same way.
 * @module
 */
import { stateUrlFromProfile } from "../engine/config/mod.ts";
import { flowStateTarget } from "../engine/runner/mod.ts";
import type { RunnerFlowMeta } from "../engine/runner/mod.ts";
import type { StateTarget } from "../engine/state/mod.ts";
import type { PreparedFlow } from "./prepare_flow.ts";

export async function preparedStateTarget(
  prepared: PreparedFlow,
  state: RunnerFlowMeta["state"],
  options: { cwd: string; stateUrl?: string | null; onWarning?: (message: string) => void },
): Promise<StateTarget> {
  const profile = state.profile ?? "";
  const profileUrl = state.backend === "postgres" && (state.url ?? "").trim() === "" && profile.trim() !== ""
    ? await stateUrlFromProfile({
      profile,
      profiles: prepared.report.profiles ?? {},
      snapshot: prepared.snapshot,
      secrets: prepared.secrets,
      masker: prepared.masker,
      onWarning: options.onWarning,
    })
    : null;
  return flowStateTarget(state, { cwd: options.cwd, stateUrl: options.stateUrl, profileUrl });
}
