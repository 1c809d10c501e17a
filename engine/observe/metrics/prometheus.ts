/**
 * The Prometheus textfile sink (docs/metrics.md): one file for node_exporter's textfile collector, shared by every
 * flow. Each run merges its series into the file: counters add, gauges replace, series of other flows are kept.
 * The format and metric names are documented in docs/metrics.md.
 * @module
 */
import type { RunMetrics } from "./run_metrics.ts";
import { type Family, type Labels, parseExposition, renderExposition, seriesKey } from "./_exposition.ts";

/** How a run's value meets the one already in the file. */
type Merge = "add" | "set" | "replace_flow";

interface MetricDef {
  readonly type: "counter" | "gauge";
  readonly merge: Merge;
  readonly help: string;
}

/** Every metric this sink writes, by name. */
export const PROMETHEUS_METRICS: Readonly<Record<string, MetricDef>> = {
  aetherflow_runs_total: { type: "counter", merge: "add", help: "Finished runs by flow and status." },
  aetherflow_jobs_total: {
    type: "counter",
    merge: "add",
    help: "Jobs that started and ended (job_end), by flow, job and status.",
  },
  aetherflow_steps_total: {
    type: "counter",
    merge: "add",
    help: "Steps that ended, by flow, job, step and status (FAILED = the step that failed its job).",
  },
  aetherflow_run_jobs: {
    type: "gauge",
    merge: "replace_flow",
    help: "Jobs processed by the last run of the flow, by status (BLOCKED and when-skipped jobs included).",
  },
  aetherflow_run_duration_seconds: {
    type: "gauge",
    merge: "set",
    help: "Duration of the last run of the flow.",
  },
  aetherflow_job_duration_seconds: {
    type: "gauge",
    merge: "set",
    help: "Duration of the last run of the job.",
  },
  aetherflow_step_duration_seconds: {
    type: "gauge",
    merge: "set",
    help: "Duration of the last successful or skipped run of the step.",
  },
  aetherflow_last_run_timestamp_seconds: { type: "gauge", merge: "set", help: "End time of the last run." },
  aetherflow_last_run_success: {
    type: "gauge",
    merge: "set",
    help: "1 if the last run of the flow succeeded, else 0.",
  },
  aetherflow_last_success_timestamp_seconds: {
    type: "gauge",
    merge: "set",
    help: "End time of the last successful run of the flow.",
  },
};

export interface MergeTextfileOptions {
  /** Applied to every label value (ids can carry rendered text) [D18]. */
  mask?: (text: string) => string;
}

interface _Point {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

/** The series one run contributes, before merging. */
function _runSamples(run: RunMetrics, options: MergeTextfileOptions = {}): _Point[] {
  const m = options.mask ?? ((t: string) => t);
  const flow = { flow_id: m(run.flowId) };
  // Keyed by series so a repeated series (a job id run twice) merges in O(1); rendering sorts the samples.
  const out = new Map<string, _Point>();
  const add = (name: string, labels: Record<string, string>, value: number) => {
    const key = seriesKey(name, labels);
    const prior = PROMETHEUS_METRICS[name]!.merge === "add" ? out.get(key)?.value ?? 0 : 0;
    out.set(key, { name, labels, value: prior + value });
  };
  const endS = run.endedAtMs / 1000;
  add("aetherflow_runs_total", { ...flow, status: run.status }, 1);
  add("aetherflow_run_duration_seconds", flow, run.durationMs / 1000);
  add("aetherflow_last_run_timestamp_seconds", flow, endS);
  add("aetherflow_last_run_success", flow, run.status === "SUCCESS" ? 1 : 0);
  if (run.status === "SUCCESS") add("aetherflow_last_success_timestamp_seconds", flow, endS);
  for (const [status, n] of Object.entries(run.jobCounts)) add("aetherflow_run_jobs", { ...flow, status }, n);
  for (const j of run.jobs) {
    const job = { ...flow, job_id: m(j.jobId) };
    add("aetherflow_jobs_total", { ...job, status: j.status }, 1);
    add("aetherflow_job_duration_seconds", job, j.durationMs / 1000);
  }
  for (const s of run.steps) {
    const step = { ...flow, job_id: m(s.jobId), step_id: m(s.stepId) };
    add("aetherflow_steps_total", { ...step, status: s.status }, 1);
    if (s.durationMs !== null) add("aetherflow_step_duration_seconds", step, s.durationMs / 1000);
  }
  return [...out.values()];
}

/**
 * The new file content: `existing` (the current file, `""` if none) with `run` merged in. Our metrics get their
 * HELP/TYPE from {@linkcode PROMETHEUS_METRICS}; other families in the file are kept as they are.
 */
export function mergeTextfile(existing: string, run: RunMetrics, options: MergeTextfileOptions = {}): string {
  const families = parseExposition(existing);
  const points = _runSamples(run, options);
  const flowId = points[0]!.labels.flow_id;
  for (const [name, def] of Object.entries(PROMETHEUS_METRICS)) {
    const f: Family = families.get(name) ?? { help: "", type: "", samples: [] };
    Object.assign(f, { help: def.help, type: def.type });
    families.set(name, f);
    const mine = points.filter((p) => p.name === name);
    if (mine.length === 0) continue;
    if (def.merge === "replace_flow") f.samples = f.samples.filter((s) => s.labels.flow_id !== flowId);
    // First sample per series, keyed once (not once per point); rendering sorts, so replacing in place is fine.
    const index = new Map<string, number>();
    f.samples.forEach((s, i) => {
      const key = seriesKey(s.name, s.labels);
      if (!index.has(key)) index.set(key, i);
    });
    for (const p of mine) {
      const key = seriesKey(p.name, p.labels);
      const i = index.get(key);
      const prior = i !== undefined && def.merge === "add" ? f.samples[i]!.value : 0;
      const sample = { name: p.name, labels: p.labels, value: prior + p.value };
      if (i === undefined) index.set(key, f.samples.push(sample) - 1);
      else f.samples[i] = sample;
    }
  }
  return renderExposition(families);
}
