// `aetherflow run [FLOW] [--flow-yaml P] [--run-id R] [--flow-job J]` — core.md §5.1, §5.2, §9.3.
import type { Command } from "@commander-js/extra-typings";
import { isAbsolute, resolve } from "node:path";
import { AetherflowError, errorMessage, EXIT, UsageError } from "../engine/errors.ts";
import { buildResources, loadSettings, type Masker } from "../engine/config/mod.ts";
import { ConnectorAccessor } from "../engine/connectors/mod.ts";
import { formatReportJson, formatReportText } from "../engine/flow/mod.ts";
import { type RunLease, StateStore } from "../engine/state/mod.ts";
import { LiveProgress, Logger, parseLogLevel, runLogPath, RunLogWriter } from "../engine/observe/mod.ts";
import { envRecord, settingsRecord } from "../engine/history/run_record.ts";
import { referencedEnvKeys } from "../engine/flow/mod.ts";
import { attachMetricsSinks } from "../engine/observe/metrics/mod.ts";
import { newRunId, renderFlowMeta, runFlow, unsafeDirName } from "../engine/runner/mod.ts";
import type { RunnerFlow } from "../engine/runner/mod.ts";
import { sha256Hex } from "../plugins/host/wasm_bytes.ts";
import { setExitCode } from "./_exit.ts";
import { stderrLineWriter, writeAllSync } from "./_stderr_log.ts";
import { resolveFlowPath, resolveOptionalFlowPath } from "./_flow_path.ts";
import { type PreparedFlow, prepareFlow } from "./_prepare.ts";
import denoJson from "../deno.json" with { type: "json" };

interface RunCliOptions {
  flowYaml?: string;
  runId?: string;
  flowJob?: string;
  bundleManifest?: string;
  allowStaleBundle?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("Validate a flow, then run its jobs in order (resume a run with --run-id)")
    .argument("[flow_yaml]", "the flow file")
    .option("--flow-yaml <path>", "the flow file (instead of FLOW_YAML)")
    .option("--run-id <id>", "run id to start or resume (default: a new 12-hex id)")
    .option("--flow-job <job>", "run only this job (its dependencies must have succeeded in this run)")
    .option("--bundle-manifest <path>", "sync this bundle and run its entry flow (docs/bundles.md)")
    .option("--allow-stale-bundle", "if the bundle sync fails, run the active bundle")
    .action(async (flowArg, opts) => {
      setExitCode(await runCommand(flowArg, opts));
    });
}

const _writeAll = writeAllSync;

/** The whole `run` command; returns the exit code (core.md §0.1). */
export async function runCommand(flowArg: string | undefined, opts: RunCliOptions): Promise<0 | 1 | 2> {
  const cwd = Deno.cwd();
  // §5.1 step 1: the flow path (positional or --flow-yaml, D1).
  const flowOptions = { positional: flowArg, option: opts.flowYaml };
  const flowPath = opts.bundleManifest === undefined
    ? resolveFlowPath(flowOptions)
    : resolveOptionalFlowPath(flowOptions);
  // The run id is a directory name of every job (<root>/<flow>/<job>/<run_id>): refuse one that would point
  // elsewhere (cleanup deletes that directory) before anything is created.
  const badRunId = opts.runId === undefined ? undefined : unsafeDirName(opts.runId);
  if (badRunId !== undefined) {
    throw new UsageError(`Invalid --run-id ${JSON.stringify(opts.runId)}: ${badRunId}`);
  }
  // Step 2: snapshot, pinned plugins, validation with that same snapshot [D10]; invalid -> report on stderr,
  // exit 2, no state DB.
  const prepared = await prepareFlow(flowPath, {
    ...(opts.bundleManifest !== undefined
      ? { bundle: { manifestPath: opts.bundleManifest, allowStale: opts.allowStaleBundle === true } }
      : {}),
  });
  try {
    return await _runPrepared(prepared, opts, cwd);
  } finally {
    await prepared.close();
  }
}

async function _runPrepared(prepared: PreparedFlow, opts: RunCliOptions, cwd: string): Promise<0 | 1 | 2> {
  const { report, snapshot, masker, registry } = prepared;
  if (!report.ok || !report.flow) {
    _writeAll(Deno.stderr, masker.mask(formatReportText(report)) + "\n");
    return EXIT.INVALID;
  }
  const flow = report.flow;
  // D5: an unknown --flow-job is a usage error, before anything is printed or created.
  if (opts.flowJob !== undefined && !flow.jobs.some((j) => j.id === opts.flowJob)) {
    throw new UsageError(
      `Unknown job for --flow-job: ${opts.flowJob}. Known: ${JSON.stringify(flow.jobs.map((j) => j.id))}`,
    );
  }
  // Step 3.
  _writeAll(Deno.stdout, masker.mask(`Validated bundle/flow yaml ${formatReportJson(report)}`) + "\n");
  // Step 4–6: rendered flow block, run id, settings with work_root = workspace.root, logging.
  const meta = renderFlowMeta(flow.flow, snapshot);
  const runId = opts.runId ?? newRunId();
  const settings = loadSettings(snapshot, { cwd, overrides: { work_root: meta.workspace.root } });
  const logger = _makeLogger(settings, masker, opts.flowJob === undefined ? flow.jobs.length : 1);
  for (const w of settings.warnings) logger.log("WARNING", "aetherflow", w);
  // §8.4: built-in metrics sinks listen to the same events; exported once the run has ended.
  const metrics = attachMetricsSinks(logger, {
    textfile: settings.metrics_textfile,
    otlpEndpoint: settings.otlp_endpoint,
    mask: (s) => masker.mask(s),
    serviceVersion: denoJson.version,
  });
  // Step 7: the state store at the rendered state.path.
  const statePath = isAbsolute(meta.state.path) || meta.state.path === ":memory:"
    ? meta.state.path
    : resolve(cwd, meta.state.path);
  const state = StateStore.open(statePath, {
    synchronous: (snapshot.AETHERFLOW_STATE_SYNCHRONOUS ?? "").trim().toUpperCase() === "NORMAL"
      ? "NORMAL"
      : "FULL",
    mask: (s) => masker.mask(s),
  });
  // One invocation per run id at a time: the run lease is taken before the run record or any row is touched,
  // so a refused invocation (exit 1, `Run <id> is already running …`) writes nothing.
  let lease: RunLease;
  try {
    lease = state.holdRunLease(runId, {
      onLost: () =>
        logger.log(
          "WARNING",
          `aetherflow.flow.${meta.id}`,
          `Run lease lost run_id=${runId}: it expired and another invocation took it over`,
        ),
    });
  } catch (err) {
    state.close();
    throw err;
  }
  // job_runs has no flow_id (upstream schema), so another flow's rows under this run id would be "resumed" as
  // ours. Refuse before anything is written [ours].
  const previous = state.getRun(runId);
  if (previous && previous.flowId !== meta.id) {
    lease.release();
    state.close();
    throw new UsageError(
      `Run ${runId} in ${statePath} belongs to flow '${previous.flowId}', not '${meta.id}'; ` +
        "use another --run-id or state.path",
    );
  }
  // Logs per run (docs/observability.md "Run log"): every record at INFO or above, whatever the console level.
  const logPath = runLogPath(statePath, runId);
  let runLog: RunLogWriter | undefined;
  if (logPath !== null) {
    try {
      runLog = new RunLogWriter(logPath);
      logger.addRecordSink(runLog.sink, logger.isEnabled("INFO") ? logger.level : "INFO");
    } catch (err) {
      logger.log("WARNING", `aetherflow.flow.${meta.id}`, `Run log not kept: ${errorMessage(err)}`);
    }
  }
  const controller = new AbortController();
  const stopSignals = _installSignalHandlers(controller, (sig) => _recordForcedExit(state, lease, sig));
  try {
    const outcome = await runFlow({
      flow: { flow: meta, jobs: flow.jobs } as RunnerFlow,
      flowYaml: report.flow_yaml,
      statePath,
      runId,
      flowJob: opts.flowJob,
      snapshot,
      registry,
      settings,
      state,
      logger,
      signal: controller.signal,
      record: {
        flowSha256: await _sha256File(prepared.flowPath),
        plugins: prepared.plugins,
        bundle: prepared.bundle?.record ?? null,
        version: denoJson.version,
        host: Deno.hostname(),
        pid: Deno.pid,
        env: envRecord(referencedEnvKeys(flow, report.profiles ?? {}), snapshot, masker),
        settings: settingsRecord(settings, snapshot, masker),
        logPath: runLog?.path ?? null,
      },
      addSecret: (v) => masker.add(v),
      // §5.1 step 9: profiles and resources are built after run_start; a failure is a run-level error.
      prepareResources: async () => {
        const resources = await buildResources({
          flowResources: flow.resources,
          profiles: report.profiles ?? {},
          snapshot,
          secrets: prepared.secrets,
          masker,
          mode: prepared.mode,
          archiveAllowList: prepared.bundle?.archiveAllowList ?? [],
          onWarning: (msg) => logger.log("WARNING", `aetherflow.flow.${meta.id}`, msg),
        });
        const connectors = new ConnectorAccessor({ registry: prepared.connectors, resources, settings });
        return { connectors, close: () => _closeConnectors(connectors) };
      },
    });
    await metrics.flush({ exitCode: outcome.exitCode });
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof AetherflowError) throw err;
    throw new AetherflowError(masker.mask((err as Error).message ?? String(err)), { cause: err });
  } finally {
    stopSignals();
    if (runLog) {
      logger.removeRecordSink(runLog.sink);
      runLog.close();
    }
    lease.release();
    state.close();
  }
}

function _makeLogger(
  settings: { log_format: string; log_level: string },
  masker: Masker,
  jobs: number,
): Logger {
  const mask = (s: string) => masker.mask(s);
  const format = settings.log_format === "json" ? "json" : "text";
  const level = parseLogLevel(settings.log_level);
  // A live progress line only for a human at a terminal with text logs; JSON consumers get plain lines.
  if (format === "text" && Deno.stderr.isTerminal() && (Deno.env.get("NO_COLOR") ?? "") === "") {
    const progress = new LiveProgress({
      write: (chunk) => _writeAll(Deno.stderr, mask(chunk)),
      totalJobs: jobs,
    });
    const logger = new Logger({ format, level, mask, write: (line) => progress.writeLine(line) });
    logger.onEvent((name, fields) => progress.onEvent(name, fields));
    return logger;
  }
  return new Logger({ format, level, mask, write: stderrLineWriter() });
}

/**
 * §5.2: the first SIGINT/SIGTERM aborts the run (the running step stops its process group, the job is recorded
 * FAILED `terminated by <SIGNAL>`, run_summary is emitted); a second signal exits at once, after recording
 * synchronously that the run was cut short, so no row claims RUNNING for a process that is gone.
 */
function _installSignalHandlers(controller: AbortController, onForce: (sig: string) => void): () => void {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const handlers = signals.map((sig) => {
    const handler = () => {
      if (controller.signal.aborted) {
        try {
          onForce(sig);
        } finally {
          Deno.exit(EXIT.FAILED);
        }
      }
      controller.abort(sig);
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
  };
}

function _recordForcedExit(state: StateStore, lease: RunLease, sig: string): void {
  const runId = lease.runId;
  const error = `terminated by ${sig} (second signal: exited without waiting for the step to stop)`;
  try {
    for (const rec of state.listJobRecords(runId)) {
      if (rec.status !== "RUNNING") continue;
      state.setJobStatus(rec.jobId, runId, "FAILED", {
        outputs: rec.outputs,
        error,
        startedAtMs: rec.startedAtMs,
        endedAtMs: Date.now(),
      });
    }
    state.finishRun(runId, { status: "FAILED", exitCode: EXIT.FAILED, error });
  } finally {
    // §6.3: locks are released on every exit path the process survives, this one included; the run lease last.
    try {
      state.releaseAllLocks(runId);
    } catch {
      // The lease still expires after its ttl_seconds; exiting now is what the second signal asked for.
    }
    lease.release();
  }
}

async function _sha256File(path: string): Promise<string | undefined> {
  try {
    return await sha256Hex(await Deno.readFile(path));
  } catch {
    return undefined;
  }
}

/** Close run-scoped connectors; errors surface to the runner, which logs them as WARNING (core.md §5.1 step 11). */
async function _closeConnectors(connectors: ConnectorAccessor): Promise<void> {
  const errors = await connectors.closeAll();
  if (errors.length > 0) {
    throw new AetherflowError(`closing connectors: ${errors.map(errorMessage).join("; ")}`);
  }
}
