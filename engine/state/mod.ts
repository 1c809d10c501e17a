/**
 * The SQLite state store (docs/state.md, D14, D15): job/step rows with recorded outputs, the run record and
 * TTL locks. One `StateStore` per process.
 * @module
 */
export { SCHEMA_VERSION, StateStore } from "./store.ts";
export type { ForceReleaseResult, LockInfo } from "./store.ts";
export type { ListRunsOptions, LockRow } from "./admin.ts";
export { RUN_LEASE_TTL_SECONDS, RunLease, type RunLeaseOptions } from "./run_lease.ts";
export { RUN_LEASE_PREFIX, runLeaseKey } from "./locks.ts";
export type { LockHolder } from "./locks.ts";
export type {
  AcquireLockOptions,
  BeginRunOptions,
  FinishRunOptions,
  JobRecord,
  PluginRecord,
  RunRecord,
  SetJobStatusOptions,
  SetStepStatusOptions,
  StateStoreOptions,
  StepRecord,
} from "./types.ts";
