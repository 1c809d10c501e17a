// Rendering of the `flow:` block before a run (docs/execution-model.md step 4): flow-meta phase, env only.
import { AetherflowError, EXIT } from "../errors.ts";
import { PHASE_ROOTS, renderValue, TemplateError } from "../resolver/mod.ts";
import { flowMetaSchema } from "../flow/flow_model.ts";
import type { RunnerFlowMeta } from "./types.ts";

/**
 * Render every string of the `flow:` block (even `description`) with `{env: snapshot}` and re-check the result as
 * FlowMeta. Any failure is a runtime error (exit 1): the file already passed validation.
 */
export function renderFlowMeta(
  flowBlock: unknown,
  snapshot: Readonly<Record<string, string>>,
): RunnerFlowMeta {
  let rendered: unknown;
  try {
    rendered = renderValue(flowBlock, { env: snapshot }, { roots: PHASE_ROOTS.flow, loc: "flow" });
  } catch (err) {
    const located = err instanceof TemplateError && err.loc !== undefined ? err.locate(err.loc) : err;
    throw new AetherflowError(`Invalid flow block: ${(located as Error).message}`, {
      code: "run:flow_meta",
      exitCode: EXIT.FAILED,
      cause: err,
    });
  }
  const parsed = flowMetaSchema.safeParse(rendered);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `flow.${i.path.join(".")}: ${i.message}`).join("; ");
    throw new AetherflowError(`Invalid flow block after rendering: ${detail}`, {
      code: "run:flow_meta",
      exitCode: EXIT.FAILED,
    });
  }
  const meta = parsed.data;
  return {
    id: meta.id,
    workspace: {
      root: meta.workspace.root,
      cleanup_policy: meta.workspace.cleanup_policy,
      layout: meta.workspace.layout,
    },
    state: {
      backend: meta.state.backend === "postgres" ? "postgres" : "sqlite",
      path: meta.state.path,
      url: meta.state.url,
      profile: meta.state.profile,
      schema: meta.state.schema,
    },
  };
}
