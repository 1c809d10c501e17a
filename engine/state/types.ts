// Records read from and written to the state store (docs/state.md).
import type { JsonObject } from "../types.ts";

/** One `job_runs` row: the latest status of a job in a run (INSERT OR REPLACE). */
export interface JobRecord {
  jobId: string;
  runId: string;
  status: string;
  /** Promoted job outputs [D4]; null for rows written before outputs were recorded (upstream). */
  outputs: JsonObject | null;
  skipReason: string | null;
  skipTrigger: string | null;
  error: string | null;
  /** Unix seconds. */
  updatedAt: number;
  /** Epoch ms when the job started (RUNNING row) in the invocation that wrote the row; null when not run. */
  startedAtMs: number | null;
  /** Epoch ms of the job's final row (null while RUNNING and for rows written before schema v2). */
  endedAtMs: number | null;
}

/** One `step_runs` row. */
export interface StepRecord {
  jobId: string;
  runId: string;
  stepId: string;
  status: string;
  /** The step's normalised output [D4]; null for upstream rows (the runner restores `{}`). */
  output: JsonObject | null;
  /** The outputs this step promoted into `job.outputs` [D4]. */
  promoted: JsonObject | null;
  updatedAt: number;
  /** The step type (null for rows written before schema v2). */
  stepType: string | null;
  /**
   * The resolved inputs the step ran with, masked (D18); `{"_truncated": true, "bytes", "sha256"}` when they
   * were larger than the recorded bound; null when the step did not run (short-circuit) or before schema v2.
   */
  inputs: JsonObject | null;
  startedAtMs: number | null;
  endedAtMs: number | null;
  /**
   * sha256 of the step's definition (its `steps:` entry, canonical JSON) when the row was written; null for
   * rows written before schema v5. Resume compares it with the flow's current definition.
   */
  definitionSha256: string | null;
}

/** A plugin recorded in the run record [D11]. */
export interface PluginRecord {
  name: string;
  version: string;
  sha256: string;
}

/** One `runs` row: the run record [D14]. */
export interface RunRecord {
  runId: string;
  flowId: string;
  flowYaml: string | null;
  flowSha256: string | null;
  /** aetherflow version that last (re)started the run. */
  version: string | null;
  status: "RUNNING" | "SUCCESS" | "FAILED";
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  /** How many times this run id was started (1 + resumes). */
  invocations: number;
  host: string | null;
  pid: number | null;
  plugins: PluginRecord[];
  bundle: JsonObject | null;
  error: string | null;
  /** Epoch ms of the first start, of the latest invocation's start and of the end (null: not recorded). */
  startedAtMs: number | null;
  invokedAtMs: number | null;
  endedAtMs: number | null;
  /** Env keys the flow and its profiles reference, with masked values (null: key unset). */
  env: Record<string, string | null> | null;
  /** Effective settings of the latest invocation, masked. */
  settings: JsonObject | null;
  /** The rendered `workspace.root` (job directories live below it). */
  workspaceRoot: string | null;
  /** The run's log file (JSON lines), when one is kept. */
  logPath: string | null;
}

/** What `beginRun` records. */
export interface BeginRunOptions {
  runId: string;
  flowId: string;
  flowYaml: string;
  flowSha256?: string;
  version: string;
  host: string;
  pid: number;
  plugins?: PluginRecord[];
  bundle?: JsonObject | null;
  env?: Record<string, string | null> | null;
  settings?: JsonObject | null;
  workspaceRoot?: string | null;
  logPath?: string | null;
}

export interface FinishRunOptions {
  status: "SUCCESS" | "FAILED";
  exitCode: number;
  error?: string;
}

export interface SetJobStatusOptions {
  outputs?: JsonObject | null;
  skipReason?: string | null;
  skipTrigger?: string | null;
  error?: string | null;
  startedAtMs?: number | null;
  endedAtMs?: number | null;
}

export interface SetStepStatusOptions {
  output?: JsonObject | null;
  promoted?: JsonObject | null;
  stepType?: string | null;
  /** Resolved inputs; masked and bounded when written (see `StepRecord.inputs`). */
  inputs?: JsonObject | null;
  startedAtMs?: number | null;
  endedAtMs?: number | null;
  /** See `StepRecord.definitionSha256`. */
  definitionSha256?: string | null;
}

/** One step row of `setStepStatuses`: the arguments of one `setStepStatus` call. */
export interface StepStatusWrite extends SetStepStatusOptions {
  jobId: string;
  runId: string;
  stepId: string;
  status: string;
}

export interface AcquireLockOptions {
  /** The run id (D15: owner = run id, plus this process's host and pid). */
  owner: string;
  /** Lease length; 0 expires at once. Default 600. */
  ttlSeconds?: number;
  /** Keep retrying about once per second for this long. Default 0 (fail fast, D15). */
  waitSeconds?: number;
  /** Stop waiting when aborted (run termination, docs/execution-model.md). */
  signal?: AbortSignal;
  /** Called after each failed attempt while waiting (before the pause), with the attempt number. */
  onRetry?: (attempt: number) => void;
}

export interface StateStoreOptions {
  /** `AETHERFLOW_STATE_SYNCHRONOUS`; FULL by default so every write is durable before return. */
  synchronous?: "FULL" | "NORMAL";
  /** SQLite busy timeout; default 30 000 ms. */
  busyTimeoutMs?: number;
  /** Applied to every text/JSON value written (D18). */
  mask?: (s: string) => string;
  /** Open an existing database without creating, migrating or writing anything. */
  readOnly?: boolean;
  /** Clock in milliseconds since the epoch (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** Lock identity override (tests simulate other processes). Default: this host and pid. */
  host?: string;
  pid?: number;
  /** Delay between lock retries while waiting; default 1000 ms. */
  lockRetryMs?: number;
  /** Whether a pid exists on this host (run-lease takeover); tests inject one. Default `kill(pid, 0)`. */
  processAlive?: (pid: number) => boolean;
}

/**
 * One `process_groups` row (schema v4, docs/state.md "Process groups"): a child process group a step started and
 * whose leader was not yet reaped. A row left behind by a killed runner lets the resume stop that group.
 */
export interface ProcessGroupRecord {
  runId: string;
  jobId: string;
  stepId: string;
  /** The host id of the process that started it (a group is only ever checked or signalled on its own host). */
  host: string;
  /** The process-group id: the pid of its leader (external.process children lead their own group). */
  pgid: number;
  /** Field 22 (`starttime`, clock ticks since boot) of the leader's `/proc/<pid>/stat`: null when unknown. */
  startTicks: number | null;
  /** `/proc/sys/kernel/random/boot_id` when the group started: null when unknown. */
  bootId: string | null;
  /** The pid of the aetherflow process that started the group. */
  runnerPid: number;
  /** The step's grace between SIGTERM and SIGKILL, in milliseconds. */
  graceMs: number;
  /** Epoch ms when the row was written (the backend's clock). */
  startedAtMs: number;
}

/** What `recordProcessGroup` is given; host, runner pid and time are the backend's own. */
export type RecordProcessGroupOptions = Omit<ProcessGroupRecord, "host" | "runnerPid" | "startedAtMs">;

/** The key of a `process_groups` row, plus the pgid (a late clear never removes a newer group's row). */
export interface ProcessGroupKey {
  runId: string;
  jobId: string;
  stepId: string;
  pgid: number;
}
