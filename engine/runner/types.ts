// The runner's inputs and outputs: the flow shape it reads, its collaborators and its result (docs/execution-model.md).
import type { JsonObject } from "../types.ts";
import type { Clock } from "../clock.ts";
import type { SettingValues } from "../config/settings.ts";
import type { ByteSecrets } from "../config/stream_masker.ts";
import type { ConnectorsApi } from "../connectors/types.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { Logger } from "../observe/logger.ts";
import type {
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
} from "../state/types.ts";
import type { Awaitable } from "../state/backend.ts";

/** The part of a step spec the runner reads (a validated `StepSpec` fits). */
export interface RunnerStep {
  readonly id: string;
  readonly type: string;
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly on_no_data?: string | null;
  readonly outputs?: Readonly<Record<string, unknown>>;
}

/** The part of a job spec the runner reads. */
export interface RunnerJob {
  readonly id: string;
  readonly depends_on?: readonly string[];
  readonly when?: string | null;
  readonly steps: readonly RunnerStep[];
}

/** The rendered `flow:` block (docs/execution-model.md step 4). */
export interface RunnerFlowMeta {
  readonly id: string;
  readonly workspace: {
    readonly root: string;
    readonly cleanup_policy: "on_success" | "always" | "never";
    readonly layout: Readonly<Record<string, string>>;
  };
  readonly state: {
    /** Default `sqlite` (`file`, upstream's name, reads as `sqlite`). */
    readonly backend?: "sqlite" | "postgres";
    /** The SQLite file. */
    readonly path: string;
    /** PostgreSQL URL; null or absent = the setting `state_url`. */
    readonly url?: string | null;
    /** A profile whose `config.url` is the PostgreSQL URL when `url` is not set. */
    readonly profile?: string | null;
    /** PostgreSQL schema; default `public`. */
    readonly schema?: string;
  };
}

/** A validated flow as the runner needs it: `flow` must already be rendered (see `renderFlowMeta`). */
export interface RunnerFlow {
  readonly flow: RunnerFlowMeta;
  readonly jobs: readonly RunnerJob[];
}

/**
 * The state operations the runner uses (docs/state.md); every `StateBackend` implements them. Results may come
 * now (SQLite) or later (PostgreSQL): the runner awaits each one before going on.
 */
export interface RunnerStateStore {
  getJobRecord(jobId: string, runId: string): Awaitable<JobRecord | null>;
  setJobStatus(jobId: string, runId: string, status: string, options?: SetJobStatusOptions): Awaitable<void>;
  listJobRecords(runId: string): Awaitable<JobRecord[]>;
  getStepRecord(jobId: string, runId: string, stepId: string): Awaitable<StepRecord | null>;
  /**
   * A job's step rows in one read, used to answer the resume check of each step at job start; without it the
   * runner reads one row per step.
   */
  listStepRecords?(runId: string, jobId?: string): Awaitable<StepRecord[]>;
  setStepStatus(
    jobId: string,
    runId: string,
    stepId: string,
    status: string,
    options?: SetStepStatusOptions,
  ): Awaitable<void>;
  /** The run record before this invocation's `beginRun` (resume after the flow changed); optional. */
  getRun?(runId: string): Awaitable<RunRecord | null>;
  /**
   * Several step rows in one transaction and one round trip (PostgreSQL). When present, the runner records a
   * series of side-effect-free steps with one call, and reports them only once it returned.
   */
  setStepStatuses?(rows: readonly StepStatusWrite[]): Awaitable<void>;
  beginRun(options: BeginRunOptions): Awaitable<unknown>;
  finishRun(runId: string, options: FinishRunOptions): Awaitable<void>;
  acquireLock(
    key: string,
    options: { owner: string; ttlSeconds?: number; waitSeconds?: number; signal?: AbortSignal },
  ): Promise<boolean>;
  releaseLock(key: string, owner: string): Awaitable<boolean | void>;
  /** Child process groups of steps (docs/state.md "Process groups"); without them nothing is recorded. */
  recordProcessGroup?(group: RecordProcessGroupOptions): Awaitable<void>;
  clearProcessGroup?(key: ProcessGroupKey): Awaitable<boolean>;
  listProcessGroups?(runId: string): Awaitable<ProcessGroupRecord[]>;
}

export type { Clock };

/** What the run record (`runs` row) gets besides ids [D11, D14]. */
export interface RunRecordInfo {
  flowSha256?: string;
  version: string;
  host: string;
  pid: number;
  plugins?: BeginRunOptions["plugins"];
  bundle?: JsonObject | null;
  /** Env keys the flow references, masked (see `recordedEnv`). */
  env?: BeginRunOptions["env"];
  /** Effective settings, for `runs show` ("which settings mattered"). */
  settings?: JsonObject | null;
  /** The run's log file, when one is kept (`runs logs`). */
  logPath?: string | null;
}

export interface RunFlowOptions {
  /** The validated flow with its `flow:` block rendered. */
  flow: RunnerFlow;
  /** The flow file executed (event `run_start.yaml`, run record). */
  flowYaml: string;
  /** Absolute state DB path (event `run_start.state`). */
  statePath: string;
  runId: string;
  /** `--flow-job`: only this job is processed (it must exist; the CLI checks first [D5]). */
  flowJob?: string;
  /** The env snapshot (docs/configuration.md). */
  snapshot: Readonly<Record<string, string>>;
  registry: StepRegistry;
  state: RunnerStateStore;
  logger: Logger;
  /** Aborted on SIGTERM/SIGINT; `signal.reason` is the signal name (docs/execution-model.md). */
  signal?: AbortSignal;
  /** Default: the system clock. Steps get it too (`StepContext.clock`). */
  clock?: Clock;
  /** The run's settings (`StepContext.settings`); default: loaded from the snapshot, work_root = workspace.root. */
  settings?: SettingValues;
  record: RunRecordInfo;
  /** Registers a value for masking [D18] (decoded secrets, step-provided secrets). */
  addSecret?: (value: string) => void;
  /** Masks every registered secret in a text (handed to steps as `StepContext.mask`) [D18]. */
  mask?: (text: string) => string;
  /** The same secrets for byte-level masking of child output streams (`StepContext.byteSecrets`) [D18]. */
  byteSecrets?: ByteSecrets;
  /**
   * Builds run-scoped resources/connectors after `run_start` (docs/execution-model.md step 9). A throw is a run-level
   * error: `run_summary` with `error`, exit 1.
   */
  prepareResources?: () => Promise<RunResources | undefined> | RunResources | undefined;
}

/** Run-scoped resources handed to steps; `close` runs at the end of the run (errors logged). */
export interface RunResources {
  connectors?: ConnectorsApi;
  close?: () => Promise<void> | void;
}

/** What a run ended with. */
export interface RunOutcome {
  exitCode: 0 | 1;
  runId: string;
  flowId: string;
  /** Status per job processed in this invocation, in processing order. */
  jobStatuses: Record<string, string>;
  statusCounts: Record<string, number>;
  /** Set for a run-level error or a termination. */
  error?: string;
}
