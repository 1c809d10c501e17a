/**
 * The step contract shared by built-in steps and plugin steps. The runner renders inputs, calls `run`,
 * normalises the result, persists it, and only then reports it (core.md §5.4).
 * @module
 */
import type { Issue, JsonObject } from "../types.ts";

/** What a step returns. `status` defaults to SUCCESS; anything but SUCCESS/SKIPPED fails the step. */
export interface StepResult {
  status?: string;
  /** JSON-serialisable outputs (persisted in state, visible as `steps.<id>.<key>`). */
  outputs?: JsonObject;
  /** Why a step was SKIPPED; copied into outputs as `reason` unless already a key. */
  reason?: string;
}

/** Minimal logger handed to steps; messages are masked by the runner before they are written. */
export interface StepLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** A lock lease handle (D15). */
export interface LockApi {
  /** Try to take `key`; resolves false when held by someone else after `waitSeconds`. */
  acquire(key: string, options: { ttlSeconds: number; waitSeconds?: number }): Promise<boolean>;
  release(key: string): void;
}

/** Everything a step may touch. Steps never write state themselves. */
export interface StepContext {
  flowId: string;
  runId: string;
  jobId: string;
  stepId: string;
  /** The immutable env snapshot (core.md §7.1). */
  env: Readonly<Record<string, string>>;
  /** The run's work root (`flow.workspace.root` rendered); base of sandboxed paths (builtins.md §0.3). */
  workRoot?: string;
  /** `<work_root>/<flow_id>/<job_id>/<run_id>/` and its layout dirs (created by the runner). */
  jobDir: string;
  artifactsDir: string;
  scratchDir: string;
  manifestsDir: string;
  log: StepLogger;
  locks: LockApi;
  /** Aborted when the run receives SIGTERM/SIGINT (core.md §5.2): long steps must stop promptly. */
  signal: AbortSignal;
  /** Run a nested step (used by `with_lock`); the nested step is not persisted on its own. */
  runNested(step: { id: string; type: string; inputs: JsonObject }): Promise<StepResult>;
  /** Register a value that must be masked everywhere from now on (D18). */
  addSecret(value: string): void;
  /** Connector accessor (core.md §5.7); typed loosely until the connector registry lands. */
  connectors?: unknown;
}

/** A step type: built-in (engine/steps/<type>.ts) or provided by a plugin. */
export interface StepDefinition {
  type: string;
  /** Where it comes from: `builtin` or `plugin:<name>@<version>`. */
  origin: string;
  /**
   * Static checks on the raw, unrendered inputs (unknown keys, builtins.md rules). `loc` of each issue is
   * relative to the inputs map (`command`, `env.X`); validation prefixes `jobs[i].steps[j].inputs.`.
   */
  validate?(rawInputs: Record<string, unknown>): Issue[];
  run(inputs: Record<string, unknown>, ctx: StepContext): Promise<StepResult> | StepResult;
}
