/**
 * The composition root shared by the CLI and embedders (docs/architecture.md "Composition root"): load and
 * validate a flow with its plugins, then run it against its state store.
 * @module
 */
export { isUnusableInput, prepareFlow, workRootPath } from "./prepare_flow.ts";
export type { PreparedFlow, PrepareFlowOptions } from "./prepare_flow.ts";
export { checkFlowJob, checkRunId, runPreparedFlow } from "./run_prepared_flow.ts";
export { preparedStateTarget } from "./state_target.ts";
export type { RunPreparedFlowOptions } from "./run_prepared_flow.ts";
