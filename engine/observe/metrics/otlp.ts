/**
 * The OTLP sink (docs/metrics.md): one `ExportMetricsServiceRequest` per run in the OTLP/HTTP JSON encoding, POSTed
 * to `<endpoint>/v1/metrics`. Counts are monotonic delta sums (each run adds its own), durations and the
 * last-success time are gauges. Names match the Prometheus textfile once a collector adds unit suffixes.
 * @module
 */
import type { RunMetrics } from "./run_metrics.ts";

/** Default request timeout: metrics must never hold a finished run for long. */
export const OTLP_TIMEOUT_MS = 5000;

export interface OtlpRequestOptions {
  /** Applied to every attribute value [D18]. */
  mask?: (text: string) => string;
  /** `service.version` resource attribute. */
  serviceVersion?: string;
}

type _Attr = { key: string; value: { stringValue: string } };
type _Point =
  & { attributes: _Attr[]; startTimeUnixNano: string; timeUnixNano: string }
  & (
    { asInt: string } | { asDouble: number }
  );

/** OTLP/JSON `AggregationTemporality` enum value for DELTA. */
const _DELTA = 1;

/** The request body (a JSON object) for one finished run. */
export function buildOtlpRequest(run: RunMetrics, options: OtlpRequestOptions = {}): Record<string, unknown> {
  const m = options.mask ?? ((t: string) => t);
  const endNs = _nanos(run.endedAtMs);
  const startNs = _nanos(run.endedAtMs - run.durationMs);
  const attrs = (labels: Record<string, string>): _Attr[] =>
    Object.entries(labels).map(([key, v]) => ({ key, value: { stringValue: m(v) } }));
  const int = (labels: Record<string, string>, n: number): _Point => ({
    attributes: attrs(labels),
    startTimeUnixNano: startNs,
    timeUnixNano: endNs,
    asInt: String(Math.trunc(n)),
  });
  const dbl = (labels: Record<string, string>, v: number): _Point => ({
    attributes: attrs(labels),
    startTimeUnixNano: startNs,
    timeUnixNano: endNs,
    asDouble: v,
  });
  const sum = (name: string, unit: string, description: string, dataPoints: _Point[]) => ({
    name,
    unit,
    description,
    sum: { dataPoints, aggregationTemporality: _DELTA, isMonotonic: true },
  });
  const gauge = (name: string, unit: string, description: string, dataPoints: _Point[]) => ({
    name,
    unit,
    description,
    gauge: { dataPoints },
  });

  const flow = { flow_id: run.flowId };
  const steps = run.steps;
  const metrics = [
    sum("aetherflow_runs", "{run}", "Finished runs by flow and status.", [
      int({ ...flow, status: run.status }, 1),
    ]),
    sum("aetherflow_jobs", "{job}", "Jobs that ended, by flow, job and status.", [
      ...run.jobs.map((j) => int({ ...flow, job_id: j.jobId, status: j.status }, 1)),
    ]),
    sum("aetherflow_steps", "{step}", "Steps that ended, by flow, job, step and status.", [
      ...steps.map((s) => int({ ...flow, job_id: s.jobId, step_id: s.stepId, status: s.status }, 1)),
    ]),
    gauge("aetherflow_run_jobs", "{job}", "Jobs processed by this run, by status.", [
      ...Object.entries(run.jobCounts).map(([status, n]) => int({ ...flow, status }, n)),
    ]),
    gauge("aetherflow_run_duration", "s", "Duration of the run.", [dbl(flow, run.durationMs / 1000)]),
    gauge("aetherflow_job_duration", "s", "Duration of each job.", [
      ...run.jobs.map((j) => dbl({ ...flow, job_id: j.jobId }, j.durationMs / 1000)),
    ]),
    gauge("aetherflow_step_duration", "s", "Duration of each step that ended.", [
      ...steps.filter((s) => s.durationMs !== null).map((s) =>
        dbl({ ...flow, job_id: s.jobId, step_id: s.stepId }, s.durationMs! / 1000)
      ),
    ]),
    gauge("aetherflow_last_success_timestamp", "s", "End time of the last successful run.", [
      ...(run.status === "SUCCESS" ? [dbl(flow, run.endedAtMs / 1000)] : []),
    ]),
  ].filter((metric) => ("sum" in metric ? metric.sum : metric.gauge).dataPoints.length > 0);

  const resource = [{ key: "service.name", value: { stringValue: "aetherflow" } }];
  if (options.serviceVersion) {
    resource.push({ key: "service.version", value: { stringValue: options.serviceVersion } });
  }
  return {
    resourceMetrics: [{
      resource: { attributes: resource },
      scopeMetrics: [{
        scope: { name: "aetherflow", ...(options.serviceVersion ? { version: options.serviceVersion } : {}) },
        metrics,
      }],
    }],
  };
}

/** `<endpoint>/v1/metrics` (a trailing slash on the endpoint is dropped; a full `/v1/metrics` URL is kept). */
export function otlpMetricsUrl(endpoint: string): string {
  const base = endpoint.trim().replace(/\/+$/, "");
  return base.endsWith("/v1/metrics") ? base : `${base}/v1/metrics`;
}

/** POST `body` to the endpoint; throws on a network error, the timeout or a non-2xx answer. */
export async function sendOtlp(
  endpoint: string,
  body: Record<string, unknown>,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const res = await fetch(otlpMetricsUrl(endpoint), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? OTLP_TIMEOUT_MS),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
}

// Epoch ms -> decimal nanoseconds string (OTLP/JSON encodes 64-bit integers as strings).
function _nanos(ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n).toString();
}
