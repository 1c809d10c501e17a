/**
 * The step contract shared by built-in steps and plugin steps (docs/architecture.md "Step contract"). The
 * runner renders inputs, parses them with the step's `inputs` schema, calls `run`, normalises the result,
 * persists it, and only then reports it.
 * @module
 */
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import type { SettingValues } from "../config/settings.ts";
import type { ByteSecrets } from "../config/stream_masker.ts";
import type { ConnectorsApi } from "../connectors/types.ts";
import type { ConnectorKind } from "../connectors/kinds/mod.ts";
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

/** A lock lease handle (TTL locks in the state store, docs/state.md). */
export interface LockApi {
  /** Try to take `key`; resolves false when held by someone else after `waitSeconds`. */
  acquire(key: string, options: { ttlSeconds: number; waitSeconds?: number }): Promise<boolean>;
  /** Release `key` if this run still holds it (awaited: the row is gone before the step reports). */
  release(key: string): Promise<void> | void;
}

/**
 * The child process groups a step starts (docs/state.md "Process groups"): recorded in state before the step
 * reports the child running, forgotten once its leader is reaped, so the resume of a killed run can stop a group
 * left running. Steps that spawn no process ignore it.
 */
export interface ProcessGroupApi {
  /** Record group `pgid` (its leader's pid) durably; `graceSeconds` is what a resume waits after SIGTERM. */
  started(pgid: number, options: { graceSeconds: number }): Promise<void>;
  /** The group's leader was reaped: forget it. */
  reaped(pgid: number): Promise<void>;
}

/** Sandboxed file paths of a step (docs/steps.md "Sandboxed paths"). */
export interface StepPaths {
  /**
   * Resolve a path input: relative to the job artifacts dir, symlinks followed, `..` collapsed, and kept under
   * the allowed roots unless the sandbox is off.
   * @throws {StepError} `Path not under allowed roots: <raw>. Allowed roots: [...]` or
   * `Path escapes job artifacts dir in enterprise mode: <raw>`.
   */
  resolve(raw: string): Promise<string>;
}

/** Everything a step may touch. Steps never write state themselves. */
export interface StepContext {
  flowId: string;
  runId: string;
  jobId: string;
  stepId: string;
  /** The immutable env snapshot (docs/configuration.md). */
  env: Readonly<Record<string, string>>;
  /** The run's work root (`flow.workspace.root` rendered): base of sandboxed paths. */
  workRoot: string;
  /** `<work_root>/<flow_id>/<job_id>/<run_id>/` and its layout dirs (created by the runner). */
  jobDir: string;
  artifactsDir: string;
  scratchDir: string;
  manifestsDir: string;
  /** The run's settings (docs/configuration.md "Settings"). */
  settings: Readonly<SettingValues>;
  /** Time and waiting; fake in tests, so retries and backoff never wait for real time. */
  clock: Clock;
  paths: StepPaths;
  log: StepLogger;
  locks: LockApi;
  /** Where the step records the child process groups it starts; absent: nothing is recorded. */
  processGroups?: ProcessGroupApi;
  /** Aborted when the run receives SIGTERM/SIGINT (docs/execution-model.md): long steps must stop promptly. */
  signal: AbortSignal;
  /** Run a nested step (used by `with_lock`); the nested step is not persisted on its own. */
  runNested(step: { id: string; type: string; inputs: JsonObject }): Promise<StepResult>;
  /** Register a value that must be masked everywhere from now on (D18). */
  addSecret(value: string): void;
  /** `text` with every secret registered so far replaced by `***` (D18); identity when the caller has none. */
  mask?(text: string): string;
  /**
   * The secrets registered so far (live: later registrations count), for masking a child's raw output bytes as
   * they stream (`StreamMasker`, D18); absent when the caller has no masker.
   */
  byteSecrets?: ByteSecrets;
  /** The run's connectors by resource name, typed per kind. */
  connectors: ConnectorsApi;
}

/** A step embedded in another step's raw inputs (`with_lock.step`), validated like a top-level step. */
export interface NestedStep {
  /** Where it sits, relative to the outer inputs (`step`). */
  loc: string;
  type: unknown;
  inputs: unknown;
}

/** A doctor hint (`aetherflow doctor`): not an error, advice about a risky but valid setting. */
export interface StepHint {
  /** Relative to the step's inputs (`targets[0]`). */
  loc: string;
  code: string;
  msg: string;
}

/** The connector a step uses, checked at validate time when the resource name is literal. */
export interface StepConnectorUse {
  /** The input naming the resource (`resource`). */
  input: string;
  /** Other inputs that may name it instead, when `input` is absent or empty (`zip`'s `connector`). */
  aliases?: readonly string[];
  /**
   * When no input names a resource: the resource used if the flow declares it (`archive_default`), and, in
   * enterprise mode, the issue when it does not (validate reports it at the step's `inputs`).
   */
  fallback?: { resource: string; enterprise?: { code: string; msg: string } };
  /** Accepted resource kinds (`["sftp"]`). */
  kinds: readonly ConnectorKind[];
  /** Methods the step calls (a plugin connector must declare them). */
  methods: readonly string[];
}

/** A step type: built-in (engine/steps/<type>.ts) or provided by a plugin. */
export interface StepDefinition<I = Record<string, unknown>> {
  type: string;
  /** Where it comes from: `builtin` or `plugin:<name>@<version>`. */
  origin: string;
  /**
   * The inputs, as a strict schema built with `engine/inputs` field helpers (`fields.fixedMap({...})`): the one
   * place for required / unknown / type checks and D17 coercions. Validation runs it on the raw inputs (templated
   * values skipped), the runner on the rendered inputs, and `run` gets the parsed result. Absent (plugin steps):
   * `run` gets the rendered map as is.
   */
  inputs?: z.ZodType<I>;
  /**
   * Extra validate-time rules on the raw inputs that a schema cannot express (cross-field rules; must skip
   * templated values). A loc it reports replaces the schema's issues at the same loc (a more specific code).
   * `loc` is relative to the inputs map.
   */
  validate?(raw: Record<string, unknown>): Issue[];
  /** Steps embedded in the raw inputs, validated like top-level steps. */
  nested?(raw: Record<string, unknown>): NestedStep[];
  /** Doctor hints on the raw inputs. */
  hints?(raw: Record<string, unknown>): StepHint[];
  connector?: StepConnectorUse;
  /**
   * Inputs holding secrets (`zip`'s `password`): their literal or `{{env.*}}` values are registered with the
   * masker before the run writes anything (the run record lists referenced env values). The step still calls
   * `ctx.addSecret` for values only known once rendered.
   */
  secretInputs?: readonly string[];
  /**
   * Built-in steps only: the step computes its result from its inputs alone and touches nothing outside the run
   * (no files, processes, network, locks, connectors, secrets), so running it again gives the same result. On a
   * state backend that records several step rows in one round trip (PostgreSQL), the runner records a series of
   * such steps together and reports them once recorded (docs/state.md "Recording steps").
   */
  sideEffectFree?: boolean;
  run(input: I, ctx: StepContext): Promise<StepResult> | StepResult;
}

/** A definition of any input type, as the registry stores it. */
// deno-lint-ignore no-explicit-any
export type AnyStepDefinition = StepDefinition<any>;

/**
 * Identity helper that infers `run`'s input type from the `inputs` schema.
 * @example Usage
 * ```ts
 * import { defineStep } from "./types.ts";
 * import { fields } from "../inputs/mod.ts";
 * const step = defineStep({
 *   type: "demo", origin: "builtin",
 *   inputs: fields.fixedMap({ n: fields.int({ default: 1 }) }),
 *   run: (input) => ({ outputs: { twice: input.n * 2 } }),
 * });
 * ```
 */
export function defineStep<I>(def: StepDefinition<I> & { inputs: z.ZodType<I> }): StepDefinition<I> {
  return def;
}
