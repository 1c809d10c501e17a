/**
 * aetherflow public embedding API: named re-exports only.
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
export { StepRegistry } from "./engine/steps/registry.ts";
export type { StepContext, StepDefinition, StepResult } from "./engine/steps/types.ts";
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
