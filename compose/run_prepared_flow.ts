/**
 * Run a prepared (loaded and validated) flow the way `aetherflow run` does (docs/architecture.md "Composition
 * root"): rendered `flow:` block, settings, the state session (run lease, foreign run id guard), the run log,
 * metrics sinks, resources and connectors built after `run_start`, then the runner. Printing, exit codes and
 * signal handlers stay with the caller.
 * @module
 */
import { buildResources, isMaskableSecret, loadSettings, type Settings } from "../engine/config/mod.ts";
import { ConnectorAccessor } from "../engine/connectors/mod.ts";
import { AetherflowError, errorMessage, SpecError, UsageError } from "../engine/errors.ts";
import { referencedEnvKeys } from "../engine/flow/mod.ts";
import { envRecord, settingsRecord } from "../engine/history/run_record.ts";
import { Logger, runLogPath, RunLogWriter } from "../engine/observe/mod.ts";
import { attachMetricsSinks } from "../engine/observe/metrics/mod.ts";
import { join } from "node:path";
import { hostId, urlSecrets } from "../engine/state/mod.ts";
import {
  newRunId,
  openRunSession,
  renderFlowMeta,
  runFlow,
  type RunnerFlow,
  type RunOutcome,
  type RunSession,
  unsafeDirName,
} from "../engine/runner/mod.ts";
import { sha256Hex } from "../plugins/host/wasm_bytes.ts";
import type { PreparedFlow } from "./prepare_flow.ts";
import { preparedStateTarget } from "./state_target.ts";
import denoJson from "../deno.json" with { type: "json" };

export interface RunPreparedFlowOptions {
  /** Start or resume this run id (default: a new 12-hex id). */
  runId?: string;
  /** Run only this job (`--flow-job`). */
  flowJob?: string;
  /** Base of a relative `state.path` and settings file (default: the process cwd). */
  cwd?: string;
  /**
   * The console logger, built from the run's settings; default: records are only kept in the run log beside
   * the state DB (docs/observability.md "Run log").
   */
  logger?: (settings: Settings, info: { jobs: number }) => Logger;
  /** Aborting it terminates the run like SIGTERM (`signal.reason` names the signal). */
  signal?: AbortSignal;
  /** Called once the state session is open, before the run record is written (the CLI's second-signal hook). */
  onSession?: (session: RunSession) => void;
}

/** `--run-id` must be usable as a directory name (job dirs are `<root>/<flow>/<job>/<run_id>`, removed on cleanup). */
export function checkRunId(runId: string | undefined): void {
  const bad = runId === undefined ? undefined : unsafeDirName(runId);
  if (bad !== undefined) throw new UsageError(`Invalid --run-id ${_quote(runId!)}: ${bad}`);
}

// JSON quoting, plus the line separators and C1 controls JSON leaves raw: an error line stays one line.
function _quote(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `--flow-job` must name a job of the flow [D5]. */
export function checkFlowJob(prepared: PreparedFlow, flowJob: string | undefined): void {
  const jobs = prepared.report.flow?.jobs ?? [];
  if (flowJob !== undefined && !jobs.some((j) => j.id === flowJob)) {
    throw new UsageError(
      `Unknown job for --flow-job: ${flowJob}. Known: ${JSON.stringify(jobs.map((j) => j.id))}`,
    );
  }
}

/**
 * Run the prepared flow. Job and step failures are in the outcome (exit code 1), never thrown.
 * @throws {SpecError} when the flow did not validate; {@link UsageError} for a bad run id or `flowJob`, or a run
 * id of another flow; `StateError` when another invocation holds the run id.
 */
export async function runPreparedFlow(
  prepared: PreparedFlow,
  options: RunPreparedFlowOptions = {},
): Promise<RunOutcome> {
  const { report, snapshot, masker, registry } = prepared;
  if (!report.ok || !report.flow) throw new SpecError(report.errors, report.warnings);
  checkRunId(options.runId);
  checkFlowJob(prepared, options.flowJob);
  const flow = report.flow;
  const cwd = options.cwd ?? Deno.cwd();
  const meta = renderFlowMeta(flow.flow, snapshot);
  const runId = options.runId ?? newRunId();
  const settings = loadSettings(snapshot, { cwd, overrides: { work_root: meta.workspace.root } });
  const mask = (s: string) => masker.mask(s);
  const jobs = options.flowJob === undefined ? flow.jobs.length : 1;
  const logger = options.logger?.(settings, { jobs }) ??
    new Logger({ format: "json", level: "INFO", mask, write: () => {} });
  const flowLogger = `aetherflow.flow.${meta.id}`;
  for (const w of settings.warnings) logger.log("WARNING", "aetherflow", w);
  // Built-in metrics sinks listen to the same events; exported once the run has ended.
  const metrics = attachMetricsSinks(logger, {
    textfile: settings.metrics_textfile,
    otlpEndpoint: settings.otlp_endpoint,
    mask,
    serviceVersion: denoJson.version,
  });
  const target = await preparedStateTarget(prepared, meta.state, {
    cwd,
    stateUrl: settings.state_url,
    onWarning: (msg) => logger.log("WARNING", flowLogger, msg),
  });
  // The database password must never reach a log line, a state row or an error message (D18).
  if (target.kind === "postgres") { for (const secret of urlSecrets(target.url)) masker.add(secret); }
  const session = await openRunSession({
    target,
    runId,
    flowId: meta.id,
    snapshot,
    mask,
    leaseSeconds: settings.lease_seconds,
    onLeaseLost: () =>
      logger.log(
        "WARNING",
        flowLogger,
        `Run lease lost run_id=${runId}: it expired and another invocation took it over`,
      ),
  });
  const { state, statePath } = session;
  // Logs per run: every record at INFO or above, whatever the console level.
  // A PostgreSQL state has no directory of its own: the log goes under this host's state_root.
  const logPath = target.kind === "sqlite"
    ? runLogPath(statePath, runId)
    : join(settings.state_root, "run-logs", `${encodeURIComponent(runId)}.jsonl`);
  let runLog: RunLogWriter | undefined;
  if (logPath !== null) {
    try {
      runLog = new RunLogWriter(logPath);
      logger.addRecordSink(runLog.sink, logger.isEnabled("INFO") ? logger.level : "INFO");
    } catch (err) {
      logger.log("WARNING", flowLogger, `Run log not kept: ${errorMessage(err)}`);
    }
  }
  try {
    options.onSession?.(session);
    const outcome = await runFlow({
      flow: { flow: meta, jobs: flow.jobs } as RunnerFlow,
      flowYaml: report.flow_yaml,
      statePath,
      runId,
      flowJob: options.flowJob,
      snapshot,
      registry,
      settings,
      state,
      logger,
      signal: options.signal,
      record: {
        flowSha256: await _sha256File(prepared.flowPath),
        plugins: prepared.plugins,
        bundle: prepared.bundle?.record ?? null,
        version: denoJson.version,
        host: hostId(),
        pid: Deno.pid,
        env: envRecord(referencedEnvKeys(flow, report.profiles ?? {}), snapshot, masker),
        settings: settingsRecord(settings, snapshot, masker),
        logPath: runLog?.path ?? null,
      },
      addSecret: (v) => masker.add(v),
      mask: (s) => masker.mask(s),
      byteSecrets: masker,
      // Profiles and resources are built after run_start; a failure is a run-level error.
      prepareResources: async () => {
        const resources = await buildResources({
          flowResources: flow.resources,
          profiles: report.profiles ?? {},
          snapshot,
          secrets: prepared.secrets,
          masker,
          mode: prepared.mode,
          archiveAllowList: prepared.bundle?.archiveAllowList ?? [],
          onWarning: (msg) => logger.log("WARNING", flowLogger, msg),
        });
        const connectors = new ConnectorAccessor({
          registry: prepared.connectors,
          resources,
          settings,
          signal: options.signal,
          addSecret: (v) => {
            if (isMaskableSecret(v)) masker.add(v);
          },
          // Connector warnings (e.g. an ignored option) go through the masked run logger.
          log: (name) => {
            const at = `aetherflow.connector.${name}`;
            return {
              debug: (m) => logger.log("DEBUG", at, m),
              info: (m) => logger.log("INFO", at, m),
              warn: (m) => logger.log("WARNING", at, m),
              error: (m) => logger.log("ERROR", at, m),
            };
          },
        });
        return { connectors, close: () => _closeConnectors(connectors) };
      },
    });
    await metrics.flush({ exitCode: outcome.exitCode });
    return outcome;
  } catch (err) {
    if (err instanceof AetherflowError) throw err;
    throw new AetherflowError(masker.mask((err as Error).message ?? String(err)), { cause: err });
  } finally {
    if (runLog) {
      logger.removeRecordSink(runLog.sink);
      runLog.close();
    }
    await session.close();
  }
}

async function _sha256File(path: string): Promise<string | undefined> {
  try {
    return await sha256Hex(await Deno.readFile(path));
  } catch {
    return undefined;
  }
}

/** Close run-scoped connectors; errors surface to the runner, which logs them as WARNING. */
async function _closeConnectors(connectors: ConnectorAccessor): Promise<void> {
  const errors = await connectors.closeAll();
  if (errors.length > 0) {
    throw new AetherflowError(`closing connectors: ${errors.map(errorMessage).join("; ")}`);
  }
}
