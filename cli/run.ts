// `aetherflow run [FLOW] [--flow-yaml P] [--run-id R] [--flow-job J]` (docs/cli.md): prints the report or the
// `Validated` line, builds the console logger, installs the signal handlers and maps the outcome to the exit code;
// the run itself is `runPreparedFlow` (compose/run_prepared_flow.ts).
import type { Command } from "@commander-js/extra-typings";
import { EXIT } from "../engine/errors.ts";
import type { Masker, Settings } from "../engine/config/mod.ts";
import { formatReportJson, formatReportText } from "../engine/flow/mod.ts";
import { LiveProgress, Logger, parseLogLevel } from "../engine/observe/mod.ts";
import type { RunSession } from "../engine/runner/mod.ts";
import { checkFlowJob, checkRunId, type PreparedFlow, prepareFlow, runPreparedFlow } from "../compose/mod.ts";
import { setExitCode } from "./_exit.ts";
import { collect, ENV_FILE_HELP, RUN_ENV_HELP } from "./_env_help.ts";
import { stderrLineWriter, writeAllSync } from "./_stderr_log.ts";
import { resolveFlowPath, resolveOptionalFlowPath } from "./_flow_path.ts";

interface RunCliOptions {
  flowYaml?: string;
  runId?: string;
  flowJob?: string;
  bundleManifest?: string;
  allowStaleBundle?: boolean;
  envFile?: string[];
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
    .option("--env-file <path>", ENV_FILE_HELP, collect, [] as string[])
    .addHelpText("after", RUN_ENV_HELP)
    .action(async (flowArg, opts) => {
      setExitCode(await runCommand(flowArg, opts));
    });
}

const _writeAll = writeAllSync;

/** The whole `run` command; returns the exit code. */
export async function runCommand(flowArg: string | undefined, opts: RunCliOptions): Promise<0 | 1 | 2> {
  const cwd = Deno.cwd();
  // The flow path (positional or --flow-yaml, D1).
  const flowOptions = { positional: flowArg, option: opts.flowYaml };
  const flowPath = opts.bundleManifest === undefined
    ? resolveFlowPath(flowOptions)
    : resolveOptionalFlowPath(flowOptions);
  // The run id is a directory name of every job: refuse a bad one before anything is created.
  checkRunId(opts.runId);
  // Snapshot, pinned plugins, validation with that same snapshot [D10]; invalid -> report on stderr, exit 2,
  // no state DB.
  const prepared = await prepareFlow(flowPath, {
    cwd,
    log: (line) => console.error(line),
    envFiles: opts.envFile,
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
  const { report, masker } = prepared;
  if (!report.ok || !report.flow) {
    _writeAll(Deno.stderr, masker.mask(formatReportText(report)) + "\n");
    return EXIT.INVALID;
  }
  // D5: an unknown --flow-job is a usage error, before anything is printed or created.
  checkFlowJob(prepared, opts.flowJob);
  _writeAll(Deno.stdout, masker.mask(`Validated bundle/flow yaml ${formatReportJson(report)}`) + "\n");
  const controller = new AbortController();
  let stopSignals = () => {};
  try {
    const outcome = await runPreparedFlow(prepared, {
      runId: opts.runId,
      flowJob: opts.flowJob,
      cwd,
      signal: controller.signal,
      logger: (settings, info) => _makeLogger(settings, masker, info.jobs),
      onSession: (session) => {
        stopSignals = _installSignalHandlers(controller, session);
      },
    });
    return outcome.exitCode;
  } finally {
    stopSignals();
  }
}

function _makeLogger(settings: Settings, masker: Masker, jobs: number): Logger {
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

/** How long a second signal waits for the state writes of a forced exit. */
const _FORCED_EXIT_WRITE_MS = 5_000;

/**
 * The first SIGINT/SIGTERM aborts the run (the running step stops its process group, the job is recorded
 * FAILED `terminated by <SIGNAL>`, run_summary is emitted); a second signal exits at once, after the session
 * recorded that the run was cut short, so no row claims RUNNING for a process that is gone.
 */
function _installSignalHandlers(controller: AbortController, session: RunSession): () => void {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const handlers = signals.map((sig) => {
    const handler = () => {
      if (controller.signal.aborted) {
        // SQLite writes complete at once; a PostgreSQL backend gets a few seconds, then the rows keep RUNNING
        // until the run id is resumed (the lease expires, docs/failure-recovery.md).
        const timeout = new Promise((r) => setTimeout(r, _FORCED_EXIT_WRITE_MS));
        void Promise.race([session.recordForcedExit(sig).catch(() => {}), timeout])
          .finally(() => Deno.exit(EXIT.FAILED));
        return;
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
