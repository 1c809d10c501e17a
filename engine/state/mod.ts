/**
 * The state store (docs/state.md): job/step rows with recorded outputs, the run record, TTL locks, run leases
 * and scheduler fires, behind one contract (`StateBackend`) with two implementations: `StateStore` (SQLite,
 * one file per host) and `PostgresStateStore` (one database for many hosts). One backend per process.
 * @module
 */
export { SCHEMA_VERSION, StateStore } from "./store.ts";
export { PostgresStateStore, type PostgresStoreOptions } from "./postgres_store.ts";
export type { Awaitable, BackendKind, ForceReleaseResult, LockInfo, StateBackend } from "./backend.ts";
export { type OpenBackendOptions, openStateBackend } from "./open_backend.ts";
export {
  DEFAULT_PG_SCHEMA,
  describeTarget,
  isPostgresUrl,
  parseStateLocator,
  postgresTarget,
  redactUrl,
  schemaNameProblem,
  type StateTarget,
  urlSecrets,
} from "./target.ts";
export type { FireClaim, FireClaimResult, FireRecord, FireTakeover } from "./fires.ts";
export type { ListRunsOptions, LockRow } from "./admin.ts";
export { RUN_LEASE_TTL_SECONDS, RunLease, type RunLeaseOptions } from "./run_lease.ts";
export { RUN_LEASE_PREFIX, runLeaseKey } from "./locks.ts";
export type { LockHolder } from "./locks.ts";
export { hostId } from "./host_id.ts";
export type {
  AcquireLockOptions,
  BeginRunOptions,
  FinishRunOptions,
  JobRecord,
  PluginRecord,
  ProcessGroupKey,
  ProcessGroupRecord,
  RecordProcessGroupOptions,
  RunRecord,
  SetJobStatusOptions,
  SetStepStatusOptions,
  StateStoreOptions,
  StepRecord,
  StepStatusWrite,
} from "./types.ts";
