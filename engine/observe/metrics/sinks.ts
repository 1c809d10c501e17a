/**
 * Built-in metrics sinks fed from the run events (docs/metrics.md) [D10]: a Prometheus textfile and OTLP/HTTP JSON.
 * A sink failure is a WARNING on the `aetherflow.metrics` logger and never changes the run's outcome.
 * @module
 */
import { resolve } from "node:path";
import type { Logger } from "../logger.ts";
import { type RunMetrics, RunMetricsCollector } from "./run_metrics.ts";
import { mergeTextfile } from "./prometheus.ts";
import { buildOtlpRequest, sendOtlp } from "./otlp.ts";
import { readTextIfExists, withFileLock, writeFileAtomic } from "./_io.ts";

/** Logger name of sink warnings. */
export const METRICS_LOGGER = "aetherflow.metrics";

export interface MetricsSinksOptions {
  /** Prometheus textfile path (setting `metrics_textfile`); relative to the cwd; `null`/omitted = off. */
  textfile?: string | null;
  /** OTLP/HTTP base endpoint (setting `otlp_endpoint`); `null`/omitted = off. */
  otlpEndpoint?: string | null;
  /** Masks label and attribute values [D18] (log lines are masked by the logger itself). */
  mask?: (text: string) => string;
  /** `service.version` sent with OTLP. */
  serviceVersion?: string;
  /** OTLP request timeout in ms (default 5000). */
  otlpTimeoutMs?: number;
  /** Wall clock, epoch ms (tests). */
  now?: () => number;
}

export interface FlushOptions {
  /** The run's exit code; when given it decides SUCCESS (0) or FAILED over what the events show. */
  exitCode?: number;
}

export interface MetricsSinks {
  /** Export the finished run to every configured sink; never throws. A no-op before `run_summary`. */
  flush(options?: FlushOptions): Promise<void>;
}

/** Subscribe the configured sinks to `logger`'s events; call `flush()` once the run has ended. */
export function attachMetricsSinks(logger: Logger, options: MetricsSinksOptions): MetricsSinks {
  const textfile = options.textfile ? resolve(options.textfile) : null;
  const endpoint = options.otlpEndpoint?.trim() || null;
  if (!textfile && !endpoint) return { flush: () => Promise.resolve() };
  const collector = new RunMetricsCollector({ now: options.now });
  logger.onEvent((name, fields) => {
    // A listener runs inside the runner's emit: whatever happens here must not reach the run.
    try {
      collector.onEvent(name, fields);
    } catch (err) {
      _warn(logger, "events", err);
    }
  });
  let flushed: RunMetrics | undefined;
  return {
    async flush(flushOptions: FlushOptions = {}): Promise<void> {
      const found = collector.result();
      if (!found || found === flushed) return;
      flushed = found;
      const run: RunMetrics = flushOptions.exitCode === undefined
        ? found
        : { ...found, status: flushOptions.exitCode === 0 ? "SUCCESS" : "FAILED" };
      const tasks: Promise<void>[] = [];
      if (textfile) {
        tasks.push(
          _writeTextfile(textfile, run, options.mask).catch((err) =>
            _warn(logger, `textfile ${textfile}`, err)
          ),
        );
      }
      if (endpoint) {
        const body = buildOtlpRequest(run, { mask: options.mask, serviceVersion: options.serviceVersion });
        tasks.push(
          sendOtlp(endpoint, body, { timeoutMs: options.otlpTimeoutMs })
            .catch((err) => _warn(logger, `OTLP ${_withoutUserinfo(endpoint)}`, err, _userinfo(endpoint))),
        );
      }
      await Promise.all(tasks);
    },
  };
}

async function _writeTextfile(path: string, run: RunMetrics, mask?: (t: string) => string): Promise<void> {
  await withFileLock(path, async () => {
    const text = mergeTextfile(await readTextIfExists(path), run, { mask });
    await writeFileAtomic(path, text);
  });
}

function _warn(logger: Logger, sink: string, err: unknown, secrets: readonly string[] = []): void {
  let msg = err instanceof Error
    ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message)
    : String(err);
  for (const s of secrets) msg = msg.replaceAll(s, "***");
  try {
    logger.log("WARNING", METRICS_LOGGER, `Metrics sink failed (${sink}): ${msg}`);
  } catch {
    // Logging itself failed (closed stderr): metrics never fail a run.
  }
}

// Credentials in the endpoint URL (`https://user:token@collector`) never reach a log line [D18].
function _userinfo(endpoint: string): string[] {
  try {
    const url = new URL(endpoint);
    return [url.password, decodeURIComponent(url.password), url.username].filter((s) => s.length >= 4);
  } catch {
    return [];
  }
}

function _withoutUserinfo(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (url.username === "" && url.password === "") return endpoint;
    url.username = "***";
    url.password = "";
    return url.toString();
  } catch {
    return endpoint;
  }
}
