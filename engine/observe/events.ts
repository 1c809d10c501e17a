/**
 * The run events of docs/observability.md with their exact field order, plus the `run_summary` bookkeeping
 * (`jobs` in `job_start` order, steps = those with `step_end`).
 * @module
 */
import type { JsonObject, JsonValue } from "../types.ts";
import type { Logger } from "./logger.ts";

/** Event names (docs/observability.md). */
export const EVENT = {
  RUN_START: "run_start",
  JOB_START: "job_start",
  STEP_START: "step_start",
  STEP_END: "step_end",
  JOB_END: "job_end",
  RUN_SUMMARY: "run_summary",
} as const;

export interface SummaryStep {
  step_id: string;
  step_type: string;
  status: string;
  duration_ms: number;
}

export interface SummaryJob {
  job_id: string;
  status: string;
  duration_ms: number;
  skip_reason: string | null;
  steps: SummaryStep[];
}

export interface RunEventsOptions {
  logger: Logger;
  flowId: string;
  runId: string;
}

/** Emits the run's events on the flow logger `aetherflow.flow.<flow_id>` (docs/observability.md). */
export class RunEvents {
  readonly loggerName: string;
  readonly #logger: Logger;
  readonly #flowId: string;
  readonly #runId: string;
  readonly #jobs: SummaryJob[] = [];

  constructor(options: RunEventsOptions) {
    this.#logger = options.logger;
    this.#flowId = options.flowId;
    this.#runId = options.runId;
    this.loggerName = flowLoggerName(options.flowId);
  }

  runStart(yaml: string, state: string): void {
    this.#emit(EVENT.RUN_START, { ...this.#base(), yaml, state });
  }

  jobStart(jobId: string): void {
    this.#jobs.push({ job_id: jobId, status: "RUNNING", duration_ms: 0, skip_reason: null, steps: [] });
    this.#emit(EVENT.JOB_START, { ...this.#base(), job_id: jobId });
  }

  stepStart(jobId: string, stepId: string, stepType: string): void {
    this.#emit(EVENT.STEP_START, { ...this.#base(), job_id: jobId, step_id: stepId, step_type: stepType });
  }

  stepEnd(jobId: string, step: SummaryStep): void {
    this.#job(jobId)?.steps.push({ ...step });
    this.#emit(EVENT.STEP_END, { ...this.#base(), job_id: jobId, ...step });
  }

  jobEnd(jobId: string, status: string, durationMs: number, skipReason: string | null): void {
    const job = this.#job(jobId);
    if (job) Object.assign(job, { status, duration_ms: durationMs, skip_reason: skipReason });
    this.#emit(EVENT.JOB_END, {
      ...this.#base(),
      job_id: jobId,
      status,
      duration_ms: durationMs,
      skip_reason: skipReason,
    });
  }

  /**
   * `error` is present only for a run-level error (docs/observability.md); `exit_code` [ours] is the process exit code the run
   * ends with, so a log reader needs no rule to derive it (docs/observability.md).
   */
  runSummary(
    durationMs: number,
    statusCounts: Record<string, number>,
    error?: string,
    exitCode?: number,
  ): void {
    const fields: JsonObject = {
      ...this.#base(),
      duration_ms: durationMs,
      status_counts: statusCounts,
      jobs: this.summaryJobs() as unknown as JsonValue,
    };
    if (exitCode !== undefined) fields.exit_code = exitCode;
    if (error !== undefined) fields.error = error;
    this.#emit(EVENT.RUN_SUMMARY, fields);
  }

  /** The `jobs` list of `run_summary` so far. */
  summaryJobs(): SummaryJob[] {
    return this.#jobs.map((j) => ({ ...j, steps: j.steps.map((s) => ({ ...s })) }));
  }

  #job(jobId: string): SummaryJob | undefined {
    for (let i = this.#jobs.length - 1; i >= 0; i--) {
      if (this.#jobs[i]!.job_id === jobId) return this.#jobs[i];
    }
    return undefined;
  }

  #base(): { flow_id: string; run_id: string } {
    return { flow_id: this.#flowId, run_id: this.#runId };
  }

  #emit(event: string, fields: JsonObject): void {
    this.#logger.event(this.loggerName, event, fields);
  }
}

/** `aetherflow.flow.<flow_id>` — run-level messages and events. */
export function flowLoggerName(flowId: string): string {
  return `aetherflow.flow.${flowId}`;
}

/** `aetherflow.flow.<flow_id>.job.<job_id>` — job-level messages. */
export function jobLoggerName(flowId: string, jobId: string): string {
  return `aetherflow.flow.${flowId}.job.${jobId}`;
}
