/**
 * aetherflow public embedding API: named re-exports only (docs/architecture.md "Embedding").
 *
 * ```ts
 * import { prepareFlow, runPreparedFlow } from "./mod.ts";
 * const prepared = await prepareFlow("flows/daily.yaml");
 * try {
 *   if (!prepared.report.ok) console.error(prepared.report.errors);
 *   else console.log((await runPreparedFlow(prepared, { runId: "r1" })).exitCode);
 * } finally {
 *   await prepared.close();
 * }
 * ```
 * @module
 */
export {
  AetherflowError,
  EXIT,
  PluginError,
  SpecError,
  StateError,
  StepError,
  UsageError,
} from "./engine/errors.ts";
export type { ExitCode } from "./engine/errors.ts";
export type { Issue, JsonObject, JsonValue, Status } from "./engine/types.ts";
export { STATUS } from "./engine/types.ts";

// Load, validate and run a flow: the same composition as the CLI.
export { checkFlowJob, checkRunId, isUnusableInput, prepareFlow, runPreparedFlow } from "./compose/mod.ts";
export type { PreparedFlow, PrepareFlowOptions, RunPreparedFlowOptions } from "./compose/mod.ts";
export type { RunOutcome, RunSession } from "./engine/runner/mod.ts";
export { formatReportJson, formatReportText } from "./engine/flow/mod.ts";
export type { ValidationReport } from "./engine/flow/mod.ts";
export { Logger } from "./engine/observe/mod.ts";
export type { LoggerOptions } from "./engine/observe/mod.ts";
export { openStateBackend, parseStateLocator, PostgresStateStore, StateStore } from "./engine/state/mod.ts";
export type { StateBackend, StateTarget } from "./engine/state/mod.ts";
export type { Clock } from "./engine/clock.ts";

// Steps and connectors: the contracts in-process extensions implement.
export { StepRegistry } from "./engine/steps/registry.ts";
export { defineStep } from "./engine/steps/types.ts";
export type {
  AnyStepDefinition,
  StepContext,
  StepDefinition,
  StepLogger,
  StepPaths,
  StepResult,
} from "./engine/steps/types.ts";
export { fields } from "./engine/inputs/mod.ts";
export { ConnectorRegistry, defineConnector } from "./engine/connectors/mod.ts";
export type {
  AnyConnectorDefinition,
  ArchiveConnector,
  Connector,
  ConnectorDefinition,
  ConnectorResource,
  ConnectorsApi,
  DbConnector,
  FilesConnector,
  MailConnector,
  RestConnector,
} from "./engine/connectors/mod.ts";

// Bundles.
export { bundleStatus, loadManifest, ManifestError, syncBundle } from "./engine/bundles/mod.ts";
export type {
  BundleManifest,
  BundleSource,
  BundleStatus,
  SourceEntry,
  SourceIdentity,
  SyncOptions,
  SyncResult,
} from "./engine/bundles/mod.ts";
