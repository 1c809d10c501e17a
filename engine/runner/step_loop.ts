// The step loop of one job (docs/execution-model.md): short-circuit, resume [D4], render, run, normalise, promote, persist,
// report — in that order, so a step is recorded SUCCESS only after it finished and its outputs were promoted.
import { AetherflowError, StepError } from "../errors.ts";
import { STATUS } from "../types.ts";
import type { JsonObject } from "../types.ts";
import { PHASE_ROOTS, renderValue, TemplateError } from "../resolver/mod.ts";
import type { AnyStepDefinition, StepContext, StepResult } from "../steps/types.ts";
import { parseStepInputs } from "../steps/inputs.ts";
import { createStepPaths } from "../steps/sandbox.ts";
import type { SettingValues } from "../config/settings.ts";
import type { ByteSecrets } from "../config/stream_masker.ts";
import type { ConnectorsApi } from "../connectors/types.ts";
import type { Logger, NamedLogger } from "../observe/logger.ts";
import type { RunEvents } from "../observe/events.ts";
import type { JobLayout } from "./workspace.ts";
import type { Clock, RunnerJob, RunnerStateStore, RunnerStep } from "./types.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { StepRecord, StepStatusWrite } from "../state/types.ts";
import type { LockApi } from "../steps/types.ts";
import { processGroupTracker } from "./process_groups.ts";
import { stepDefinitionSha256 } from "./flow_change.ts";

/** Everything the step loop needs about its run and job. */
export interface StepLoopContext {
  flowId: string;
  runId: string;
  job: RunnerJob;
  layout: JobLayout;
  snapshot: Readonly<Record<string, string>>;
  registry: StepRegistry;
  state: RunnerStateStore;
  events: RunEvents;
  /** The run's logger: held while side-effect-free steps wait to be recorded together. */
  logger?: Logger;
  log: NamedLogger;
  signal: AbortSignal;
  clock: Clock;
  /** `jobs.*` as templates see it (the current job excluded). */
  jobsCtx: Readonly<Record<string, unknown>>;
  locks: LockApi;
  addSecret: (value: string) => void;
  /** Absolute `flow.workspace.root`. */
  workRoot: string;
  settings: SettingValues;
  connectors: ConnectorsApi;
  mask?: (text: string) => string;
  byteSecrets?: ByteSecrets;
}

/** Mutable progress of the job, kept by the caller so a failure still knows what was promoted (docs/execution-model.md step 9). */
export interface StepLoopProgress {
  stepOutputs: Record<string, JsonObject>;
  jobOutputs: JsonObject;
  skipRest: boolean;
  skipReason: string | null;
}

const SKIP_JOB = "skip_job";

/** Raised when SIGTERM/SIGINT stopped the job: the message is the contract `terminated by <SIGNAL>` (docs/execution-model.md). */
export class TerminatedError extends AetherflowError {
  constructor(signalName: string) {
    super(`terminated by ${signalName}`, { code: "run:terminated" });
    this.name = "TerminatedError";
  }
}

/** Run every step of `ctx.job` in declaration order; throws on the first failure. */
export async function runSteps(ctx: StepLoopContext, progress: StepLoopProgress): Promise<void> {
  const rows = await _loadStepRows(ctx);
  try {
    for (const step of ctx.job.steps) {
      if (progress.skipRest) {
        await _shortCircuit(ctx, progress, step, rows);
        continue;
      }
      if (await _resume(ctx, progress, step, rows)) continue;
      // docs/execution-model.md: start no new step once a termination signal arrived.
      if (ctx.signal.aborted) throw new TerminatedError(signalName(ctx.signal));
      await _runOne(ctx, progress, step, rows);
    }
  } catch (err) {
    // The steps waiting to be recorded did succeed: their rows go in before the failure is handled (if that
    // write fails too, the failure reported stays the first one; the job's FAILED row then fails the same way).
    await _flush(ctx, rows).catch(() => {});
    throw err;
  }
  await _flush(ctx, rows);
}

/**
 * The job's step rows as they were when the job started, read with one query instead of one per step. Rows this
 * invocation writes are marked `written` and read back from state, so each resume check sees exactly what a
 * per-step read would (a step id repeated in an unvalidated flow resumes from its first run). `recorded` is
 * null when the rows cannot be read at once (a corrupt row): then every step reads its own row, as before, so
 * the failure surfaces at the same step.
 */
interface _StepRows {
  recorded: Map<string, StepRecord> | null;
  written: Set<string>;
  /**
   * Rows of side-effect-free steps not yet written (docs/state.md "Recording steps"): written with one
   * `setStepStatuses` call before the next side effect, report or read of state, while the run's logger holds
   * their reports. Non-empty only when the backend has `setStepStatuses` and the run's logger is known.
   */
  pending: StepStatusWrite[];
}

/** At most this many rows wait to be written together. */
const _BATCH_MAX = 64;

async function _loadStepRows(ctx: StepLoopContext): Promise<_StepRows> {
  const written = new Set<string>();
  if (!ctx.state.listStepRecords) return { recorded: null, written, pending: [] };
  try {
    const recorded = new Map<string, StepRecord>();
    for (const rec of await ctx.state.listStepRecords(ctx.runId, ctx.job.id)) recorded.set(rec.stepId, rec);
    return { recorded, written, pending: [] };
  } catch {
    return { recorded: null, written, pending: [] };
  }
}

async function _stepRow(ctx: StepLoopContext, rows: _StepRows, stepId: string): Promise<StepRecord | null> {
  if (rows.recorded === null || rows.written.has(stepId)) {
    await _flush(ctx, rows);
    return await ctx.state.getStepRecord(ctx.job.id, ctx.runId, stepId);
  }
  return rows.recorded.get(stepId) ?? null;
}

/** Whether rows may wait to be written together: the backend writes several in one round trip. */
function _batching(ctx: StepLoopContext): boolean {
  return ctx.state.setStepStatuses !== undefined && ctx.logger !== undefined;
}

/** Whether `step`'s row may wait to be written with the next ones (its reports are then held). */
function _deferrable(ctx: StepLoopContext, step: RunnerStep): boolean {
  if (!_batching(ctx)) return false;
  const def = ctx.registry.get(step.type);
  return def?.sideEffectFree === true && def.origin === "builtin";
}

async function _writeStepRow(
  ctx: StepLoopContext,
  rows: _StepRows,
  step: RunnerStep,
  row: { status: string; output: JsonObject; promoted: JsonObject | null } & _StepHistory,
  defer = false,
): Promise<void> {
  // Marked first: if the write fails half-way, a later read of this id still goes to state.
  rows.written.add(step.id);
  const options = {
    output: row.output,
    promoted: row.promoted,
    stepType: row.stepType,
    inputs: row.inputs,
    startedAtMs: row.startedAtMs,
    endedAtMs: row.endedAtMs,
    // What a later resume compares with the flow it runs (docs/failure-recovery.md).
    definitionSha256: stepDefinitionSha256(step),
  };
  if (defer) {
    rows.pending.push({
      jobId: ctx.job.id,
      runId: ctx.runId,
      stepId: step.id,
      status: row.status,
      ...options,
    });
    if (rows.pending.length >= _BATCH_MAX) await _flush(ctx, rows);
    return;
  }
  await _flush(ctx, rows);
  await ctx.state.setStepStatus(ctx.job.id, ctx.runId, step.id, row.status, options);
}

/**
 * Write the waiting rows in one round trip, then deliver the reports the logger held. If the write fails, those
 * reports are dropped: the steps are not recorded (a resume runs them again).
 */
async function _flush(ctx: StepLoopContext, rows: _StepRows): Promise<void> {
  const batch = rows.pending;
  if (batch.length === 0) {
    ctx.logger?.release();
    return;
  }
  rows.pending = [];
  try {
    await ctx.state.setStepStatuses!(batch);
  } catch (err) {
    ctx.logger?.release({ drop: true });
    throw err;
  }
  ctx.logger?.release();
}

/** What the run history keeps of a step (docs/state.md "Run history"). */
interface _StepHistory {
  stepType: string;
  inputs: JsonObject | null;
  startedAtMs: number;
  endedAtMs: number;
}

async function _shortCircuit(
  ctx: StepLoopContext,
  progress: StepLoopProgress,
  step: RunnerStep,
  rows: _StepRows,
): Promise<void> {
  const reason = progress.skipReason ?? "step requested skip_job";
  // No side effect: the row may wait for the next ones (its report with it).
  const defer = _batching(ctx);
  if (defer) ctx.logger!.hold();
  ctx.log.with({ step_id: step.id }).info(
    `Step skipped (job short-circuit) step_id=${step.id} reason=${reason}`,
  );
  const output: JsonObject = { skipped: true, reason };
  const now = ctx.clock.now();
  await _writeStepRow(ctx, rows, step, {
    status: STATUS.SKIPPED,
    output,
    promoted: null,
    stepType: step.type,
    inputs: null,
    startedAtMs: now,
    endedAtMs: now,
  }, defer);
  progress.stepOutputs[step.id] = output;
}

// D4: a step done in an earlier invocation is not re-run; its output and promoted outputs are restored.
async function _resume(
  ctx: StepLoopContext,
  progress: StepLoopProgress,
  step: RunnerStep,
  rows: _StepRows,
): Promise<boolean> {
  const rec = await _stepRow(ctx, rows, step.id);
  if (!rec || (rec.status !== STATUS.SUCCESS && rec.status !== STATUS.SKIPPED)) return false;
  ctx.log.with({ step_id: step.id }).info(`Step skip (resume) step_id=${step.id} prev=${rec.status}`);
  const output = rec.output ?? {};
  progress.stepOutputs[step.id] = output;
  if (rec.promoted) Object.assign(progress.jobOutputs, rec.promoted);
  // [ours] a resumed short-circuit keeps short-circuiting, so the job ends SKIPPED again.
  if (rec.status === STATUS.SKIPPED && step.on_no_data === SKIP_JOB) {
    progress.skipRest = true;
    progress.skipReason = typeof output.reason === "string" ? output.reason : "step requested skip_job";
  }
  return true;
}

async function _runOne(
  ctx: StepLoopContext,
  progress: StepLoopProgress,
  step: RunnerStep,
  rows: _StepRows,
): Promise<void> {
  const def = ctx.registry.get(step.type);
  if (!def) {
    throw new StepError(`Unknown step type: ${step.type}. Loaded: ${JSON.stringify(ctx.registry.types())}`);
  }
  // A step with side effects starts only once every earlier step is recorded, and reports only then; a
  // side-effect-free one may run before, its row and reports waiting with theirs (docs/state.md "Recording steps").
  const defer = _deferrable(ctx, step);
  if (defer) ctx.logger!.hold();
  else await _flush(ctx, rows);
  const inputs = _render(ctx, step, "inputs", step.inputs ?? {}, _templateCtx(ctx, progress, {})) as Record<
    string,
    unknown
  >;
  ctx.events.stepStart(ctx.job.id, step.id, step.type);
  const t0 = ctx.clock.monotonic();
  const startedAtMs = ctx.clock.now();
  let result: StepResult;
  try {
    result = await _call(def, inputs, _stepContext(ctx, step.id));
  } catch (err) {
    if (ctx.signal.aborted) throw new TerminatedError(signalName(ctx.signal));
    throw err;
  }
  const { status, output } = normaliseResult(result);
  progress.stepOutputs[step.id] = output;
  let promoted: JsonObject | null = null;
  if (step.outputs && Object.keys(step.outputs).length > 0) {
    promoted = _render(ctx, step, "outputs", step.outputs, _templateCtx(ctx, progress, output)) as JsonObject;
    Object.assign(progress.jobOutputs, promoted);
  }
  // [ours] the row is written after promotion: a promotion failure leaves no SUCCESS row to resume from.
  await _writeStepRow(ctx, rows, step, {
    status,
    output,
    promoted,
    stepType: step.type,
    inputs: _recordableInputs(inputs),
    startedAtMs,
    endedAtMs: ctx.clock.now(),
  }, defer);
  const duration = Math.trunc(ctx.clock.monotonic() - t0);
  ctx.events.stepEnd(ctx.job.id, { step_id: step.id, step_type: step.type, status, duration_ms: duration });
  if (status === STATUS.SKIPPED && step.on_no_data === SKIP_JOB) {
    progress.skipRest = true;
    progress.skipReason = typeof output.reason === "string" ? output.reason : "step requested skip_job";
    ctx.log.with({ step_id: step.id }).info(
      `Job short-circuit after step_id=${step.id} reason=${progress.skipReason}`,
    );
  }
}

/** Rendered inputs are JSON (they come from YAML and templates); anything else is not recorded. */
function _recordableInputs(inputs: Record<string, unknown>): JsonObject | null {
  try {
    return JSON.parse(JSON.stringify(inputs)) as JsonObject;
  } catch {
    return null;
  }
}

/** Render a step's `inputs` or `outputs`; a template error names the job, the step and the failing leaf. */
function _render(
  ctx: StepLoopContext,
  step: RunnerStep,
  section: "inputs" | "outputs",
  value: unknown,
  tctx: Record<string, unknown>,
): unknown {
  try {
    return renderValue(value, tctx, { roots: PHASE_ROOTS.step, loc: section });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw err.locate(`job '${ctx.job.id}', step '${step.id}', ${err.loc ?? section}`);
  }
}

function _templateCtx(
  ctx: StepLoopContext,
  progress: StepLoopProgress,
  result: JsonObject,
): Record<string, unknown> {
  return {
    env: ctx.snapshot,
    steps: progress.stepOutputs,
    job: { id: ctx.job.id, outputs: progress.jobOutputs },
    run_id: ctx.runId,
    flow_id: ctx.flowId,
    result,
    jobs: ctx.jobsCtx,
  };
}

function _stepContext(ctx: StepLoopContext, stepId: string): StepContext {
  const stepCtx: StepContext = {
    flowId: ctx.flowId,
    runId: ctx.runId,
    jobId: ctx.job.id,
    stepId,
    env: ctx.snapshot,
    workRoot: ctx.workRoot,
    ...ctx.layout,
    settings: ctx.settings,
    clock: ctx.clock,
    paths: createStepPaths({
      artifactsDir: ctx.layout.artifactsDir,
      workRoot: ctx.workRoot,
      env: ctx.snapshot,
    }),
    log: ctx.log.with({ step_id: stepId }),
    locks: ctx.locks,
    processGroups: processGroupTracker({ state: ctx.state, runId: ctx.runId, jobId: ctx.job.id, stepId }),
    signal: ctx.signal,
    addSecret: ctx.addSecret,
    ...(ctx.mask ? { mask: ctx.mask } : {}),
    ...(ctx.byteSecrets ? { byteSecrets: ctx.byteSecrets } : {}),
    connectors: ctx.connectors,
    runNested: async (nested) => {
      const def = ctx.registry.get(nested.type);
      if (!def) {
        throw new StepError(
          `Unknown step type: ${nested.type}. Loaded: ${JSON.stringify(ctx.registry.types())}`,
        );
      }
      return await _call(def, nested.inputs, _stepContext(ctx, nested.id));
    },
  };
  return stepCtx;
}

/** Parse the rendered inputs with the step's schema (typed input), then run it. */
async function _call(
  def: AnyStepDefinition,
  inputs: Record<string, unknown>,
  ctx: StepContext,
): Promise<StepResult> {
  return await def.run(parseStepInputs(def, inputs, ctx.stepId), ctx);
}

/**
 * docs/execution-model.md step 7: SUCCESS or SKIPPED (absent = SUCCESS), anything else fails the step [ours]; the output is the
 * returned map plus `reason` when given and not already a key; it must be JSON (it is persisted).
 */
export function normaliseResult(result: StepResult | undefined): { status: string; output: JsonObject } {
  const status = result?.status ?? STATUS.SUCCESS;
  if (status !== STATUS.SUCCESS && status !== STATUS.SKIPPED) {
    throw new StepError(`invalid step status ${JSON.stringify(status)}`);
  }
  const outputs = result?.outputs ?? {};
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    throw new StepError("step outputs must be a JSON object");
  }
  const output: JsonObject = { ...outputs };
  if (result?.reason !== undefined && !("reason" in output)) output.reason = result.reason;
  _assertJson(output, "outputs");
  return { status, output };
}

function _assertJson(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new StepError(`step ${path} is not a JSON value (${value})`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => _assertJson(v, `${path}[${i}]`));
    return;
  }
  const proto: unknown = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) _assertJson(v, `${path}.${k}`);
    return;
  }
  throw new StepError(`step ${path} is not a JSON value`);
}

/** The signal name carried by the abort reason (`SIGTERM` when unknown). */
export function signalName(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return typeof reason === "string" && reason.startsWith("SIG") ? reason : "SIGTERM";
}
