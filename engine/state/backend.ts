/**
 * The state store contract (docs/state.md): what the runner, the scheduler and the operator commands need of
 * a state backend. Two implementations: `StateStore` (SQLite, one file, one host; answers synchronously) and
 * `PostgresStateStore` (one database shared by many hosts; answers with promises). Callers `await` every
 * result, so either fits; `engine/state/_conformance.ts` is the one suite both must pass.
 * @module
 */
import type { ListRunsOptions, LockRow } from "./admin.ts";
import type { FireClaim, FireClaimResult, FireRecord, FireTakeover } from "./fires.ts";
import type { RunLease, RunLeaseOptions } from "./run_lease.ts";
import type {
  AcquireLockOptions,
  BeginRunOptions,
  FinishRunOptions,
  JobRecord,
  ProcessGroupKey,
  ProcessGroupRecord,
  RecordProcessGroupOptions,
  RunRecord,
  SetJobStatusOptions,
  SetStepStatusOptions,
  StepRecord,
  StepStatusWrite,
} from "./types.ts";
import type { Status } from "../types.ts";

/** A value now or later: the SQLite store answers synchronously, PostgreSQL asynchronously. */
export type Awaitable<T> = T | Promise<T>;

/** The kinds of state backend (`flow.state.backend`; `file` is upstream's alias of `sqlite`). */
export type BackendKind = "sqlite" | "postgres";

/** A lock row with what an operator needs to judge it. */
export interface LockInfo extends LockRow {
  /** `expires_at <= now` (the backend's clock): the next acquirer of any key deletes it. */
  expired: boolean;
  /** Whether the holder process exists: null when unknown (another host, or no pid recorded). */
  alive: boolean | null;
}

/** What `forceReleaseLock` did. */
export interface ForceReleaseResult {
  lock: LockInfo;
  released: boolean;
  /** Refused because the holder is alive on this host and `force` was not given. */
  refused: boolean;
}

/** One backend connection per process. Every failure is a `StateError` naming {@link StateBackend.path}. */
export interface StateBackend {
  readonly kind: BackendKind;
  /** Where the state lives, as shown to users: the database file, or the URL without its password. */
  readonly path: string;
  /** The host id and pid recorded with what this process holds (locks, leases, fires). */
  readonly host: string;
  readonly pid: number;

  // ---- job and step rows ----
  getJobRecord(jobId: string, runId: string): Awaitable<JobRecord | null>;
  setJobStatus(jobId: string, runId: string, status: Status, options?: SetJobStatusOptions): Awaitable<void>;
  listJobRecords(runId: string): Awaitable<JobRecord[]>;
  getStepRecord(jobId: string, runId: string, stepId: string): Awaitable<StepRecord | null>;
  setStepStatus(
    jobId: string,
    runId: string,
    stepId: string,
    status: Status,
    options?: SetStepStatusOptions,
  ): Awaitable<void>;
  listStepRecords(runId: string, jobId?: string): Awaitable<StepRecord[]>;
  /**
   * Several step rows, in order, in one transaction and one round trip: the same rows as one `setStepStatus`
   * call each, all durable or none. Only where a write costs a round trip (PostgreSQL); the runner then records
   * a series of side-effect-free steps together (docs/state.md "Recording steps"). The SQLite store has none:
   * each of its writes is already local.
   */
  setStepStatuses?(rows: readonly StepStatusWrite[]): Awaitable<void>;

  // ---- run records ----
  beginRun(rec: BeginRunOptions): Awaitable<RunRecord>;
  finishRun(runId: string, result: FinishRunOptions): Awaitable<void>;
  getRun(runId: string): Awaitable<RunRecord | null>;
  listRuns(options?: ListRunsOptions): Awaitable<RunRecord[]>;
  listOrphanRunIds(): Awaitable<{ runId: string; updatedAt: number }[]>;
  deleteRun(runId: string): Awaitable<number>;

  // ---- with_lock locks ----
  acquireLock(key: string, options: AcquireLockOptions): Promise<boolean>;
  releaseLock(key: string, owner: string): Awaitable<boolean>;
  releaseAllLocks(owner: string): Awaitable<number>;
  listLocks(): Awaitable<LockInfo[]>;
  forceReleaseLock(key: string, options?: { force?: boolean }): Awaitable<ForceReleaseResult | null>;

  // ---- run lease: one invocation per run id ----
  holdRunLease(runId: string, options?: RunLeaseOptions): Awaitable<RunLease>;
  renewRunLease(runId: string, ttlSeconds: number): Awaitable<boolean>;
  releaseRunLease(runId: string): Awaitable<boolean>;

  // ---- process groups steps run (docs/state.md "Process groups") ----
  /**
   * Record (replace) the child process group a step started, with this backend's host and pid; durable when the
   * call returns, so the step reports its child only after a killed runner's resume can find it.
   */
  recordProcessGroup(group: RecordProcessGroupOptions): Awaitable<void>;
  /** Delete the row of `key` (its leader was reaped, or the resume dealt with it); returns whether one was. */
  clearProcessGroup(key: ProcessGroupKey): Awaitable<boolean>;
  /** The recorded process groups of a run, oldest first. */
  listProcessGroups(runId: string): Awaitable<ProcessGroupRecord[]>;

  // ---- scheduler fires: each `<item>-<slot>` started once across every scheduler sharing the backend ----
  claimFire(claim: FireClaim): Awaitable<FireClaimResult>;
  renewFire(itemId: string, slotMs: number, ttlSeconds: number): Awaitable<boolean>;
  finishFire(itemId: string, slotMs: number, exitCode: number): Awaitable<boolean>;
  releaseFire(itemId: string, slotMs: number): Awaitable<boolean>;
  takeOverFire(takeover: FireTakeover): Awaitable<FireRecord | null>;
  listFires(options?: { itemId?: string; unfinished?: boolean }): Awaitable<FireRecord[]>;

  /** Close the connection (idempotent). */
  close(): Awaitable<void>;
}
