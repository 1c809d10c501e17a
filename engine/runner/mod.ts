/**
 * The runner: executes a validated flow against a state store, job by job and step by step (docs/execution-model.md).
 * @module
 */
export { runFlow, SYSTEM_CLOCK } from "./run_flow.ts";
export { renderFlowMeta } from "./flow_meta.ts";
export { newRunId } from "./run_id.ts";
export { createJobLayout, jobLayout, removeJobDir, unsafeDirName } from "./workspace.ts";
export type { JobLayout, JobLayoutOptions } from "./workspace.ts";
export { normaliseResult, TerminatedError } from "./step_loop.ts";
export type {
  Clock,
  RunFlowOptions,
  RunnerFlow,
  RunnerFlowMeta,
  RunnerJob,
  RunnerStateStore,
  RunnerStep,
  RunOutcome,
  RunRecordInfo,
  RunResources,
} from "./types.ts";
export { flowStateTarget, openRunSession, recordForcedExit, resolveStatePath } from "./run_session.ts";
export type { OpenRunSessionOptions, RunSession } from "./run_session.ts";
