/**
 * What one run contributes to the metrics sinks, folded from the run events of docs/observability.md (the same events
 * the log lines carry), so the sinks need no hook in the runner [D10].
 * @module
 */
import type { EventFields } from "../logger.ts";
import { EVENT } from "../events.ts";

/** Run outcome as the sinks report it (exit code 0 -> SUCCESS). */
export type RunOutcome = "SUCCESS" | "FAILED";

export interface JobMetric {
  readonly jobId: string;
  readonly status: string;
  readonly durationMs: number;
}

export interface StepMetric {
  readonly jobId: string;
  readonly stepId: string;
  readonly stepType: string;
  readonly status: string;
  /** `null` for a failing step: it has no `step_end`, so no duration (docs/observability.md). */
  readonly durationMs: number | null;
}

/** One finished run. */
export interface RunMetrics {
  readonly flowId: string;
  readonly runId: string;
  readonly status: RunOutcome;
  readonly durationMs: number;
  /** Wall clock at `run_summary`, epoch ms. */
  readonly endedAtMs: number;
  /** `status_counts` of `run_summary`: every job processed, BLOCKED and when-skipped ones included. */
  readonly jobCounts: Readonly<Record<string, number>>;
  /** Jobs with `job_end`, in event order. */
  readonly jobs: readonly JobMetric[];
  /** Steps with `step_end`, plus a started step of a FAILED job that never ended (status FAILED). */
  readonly steps: readonly StepMetric[];
}

/** Folds the events of one run into a {@linkcode RunMetrics}. */
export class RunMetricsCollector {
  readonly #now: () => number;
  #jobs: JobMetric[] = [];
  #steps: StepMetric[] = [];
  #open = new Map<string, { stepId: string; stepType: string }>();
  #result: RunMetrics | undefined;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Feed one event (an {@linkcode EventListener}). */
  onEvent(name: string, fields: EventFields): void {
    const jobId = _str(fields.job_id);
    switch (name) {
      case EVENT.RUN_START:
        this.#jobs = [];
        this.#steps = [];
        this.#open.clear();
        this.#result = undefined;
        break;
      case EVENT.STEP_START:
        this.#open.set(jobId, { stepId: _str(fields.step_id), stepType: _str(fields.step_type) });
        break;
      case EVENT.STEP_END:
        this.#open.delete(jobId);
        this.#steps.push({
          jobId,
          stepId: _str(fields.step_id),
          stepType: _str(fields.step_type),
          status: _str(fields.status),
          durationMs: _num(fields.duration_ms),
        });
        break;
      case EVENT.JOB_END: {
        const status = _str(fields.status);
        const open = this.#open.get(jobId);
        // A failing step emits no step_end (docs/observability.md); the job's FAILED end names it.
        if (open && status === "FAILED") this.#steps.push({ jobId, ...open, status, durationMs: null });
        this.#open.delete(jobId);
        this.#jobs.push({ jobId, status, durationMs: _num(fields.duration_ms) });
        break;
      }
      case EVENT.RUN_SUMMARY:
        this.#result = this.#summarise(fields);
        break;
    }
  }

  /** The finished run, or `undefined` before `run_summary`. */
  result(): RunMetrics | undefined {
    return this.#result;
  }

  #summarise(fields: EventFields): RunMetrics {
    const counts: Record<string, number> = {};
    const raw = fields.status_counts;
    if (raw && typeof raw === "object" && !Array.isArray(raw)) {
      for (const [k, v] of Object.entries(raw)) if (typeof v === "number") counts[k] = v;
    }
    // Mirrors the runner's exit code: a run-level error, termination or a FAILED job fails the run. A job blocked
    // by a failure of an earlier invocation (--flow-job) is not visible here; `flush({exitCode})` lets the caller say.
    const failed = fields.error !== undefined || (counts.FAILED ?? 0) > 0;
    return {
      flowId: _str(fields.flow_id),
      runId: _str(fields.run_id),
      status: failed ? "FAILED" : "SUCCESS",
      durationMs: _num(fields.duration_ms),
      endedAtMs: this.#now(),
      jobCounts: counts,
      jobs: this.#jobs,
      steps: this.#steps,
    };
  }
}

function _str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

function _num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
