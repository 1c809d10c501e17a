/**
 * Built-in metrics sinks (docs/metrics.md): a Prometheus textfile for node_exporter and OTLP/HTTP JSON, both fed
 * from the run events. See docs/metrics.md.
 * @module
 */
export { attachMetricsSinks, METRICS_LOGGER } from "./sinks.ts";
export type { FlushOptions, MetricsSinks, MetricsSinksOptions } from "./sinks.ts";
export { RunMetricsCollector } from "./run_metrics.ts";
export type { JobMetric, RunMetrics, RunOutcome, StepMetric } from "./run_metrics.ts";
export { mergeTextfile, PROMETHEUS_METRICS } from "./prometheus.ts";
export type { MergeTextfileOptions } from "./prometheus.ts";
export { buildOtlpRequest, OTLP_TIMEOUT_MS, otlpMetricsUrl, sendOtlp } from "./otlp.ts";
export type { OtlpRequestOptions } from "./otlp.ts";
