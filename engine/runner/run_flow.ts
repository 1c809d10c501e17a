// One run of a validated flow (docs/execution-model.md steps 7–11): run record, run_start, resources, job loop,
// run_summary, run record closed. The caller (cli/run.ts) wires the real collaborators.
import { resolve } from "node:path";
import { SYSTEM_CLOCK } from "../clock.ts";
import { loadSettings } from "../config/settings.ts";
import { ConnectorAccessor, ConnectorRegistry } from "../connectors/mod.ts";
import { errorMessage } from "../errors.ts";
import { RunEvents } from "../observe/events.ts";
import type { LockApi } from "../steps/types.ts";
import type { StepRecord } from "../state/types.ts";
import { compareFinishedSteps, flowChangeMessage } from "./flow_change.ts";
import { runJobs } from "./job_loop.ts";
import { stopLeftoverGroups } from "./process_groups.ts";
import type { RunFlowOptions, RunOutcome, RunResources } from "./types.ts";

export { SYSTEM_CLOCK };

/**
 * Execute the flow. Never throws for job or step failures (they are recorded, D3); a run-level error
 * (resources, state I/O mid-run) ends the run with `run_summary.error` and exit code 1. Throws when the run
 * record cannot be written at all (before `run_start`), or when a report cannot be written (a closed log pipe):
 * then the locks are released and the run record is closed FAILED first.
 */
export async function runFlow(options: RunFlowOptions): Promise<RunOutcome> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const signal = options.signal ?? new AbortController().signal;
  const { state, logger, runId } = options;
  const flowId = options.flow.flow.id;
  const workRoot = resolve(options.flow.flow.workspace.root);
  const settings = options.settings ??
    loadSettings(options.snapshot, { overrides: { work_root: options.flow.flow.workspace.root } });
  const t0 = clock.monotonic();
  const events = new RunEvents({ logger, flowId, runId });
  // Read before beginRun records the new flow_sha256 over the old one.
  const flowChange = await _flowChange(options);
  await state.beginRun({
    runId,
    flowId,
    flowYaml: options.flowYaml,
    flowSha256: options.record.flowSha256,
    version: options.record.version,
    host: options.record.host,
    pid: options.record.pid,
    plugins: options.record.plugins,
    bundle: options.record.bundle ?? null,
    env: options.record.env ?? null,
    settings: options.record.settings ?? null,
    workspaceRoot: options.flow.flow.workspace.root,
    logPath: options.record.logPath ?? null,
  });
  const held = new Set<string>();
  const locks: LockApi = {
    acquire: async (key, lease) => {
      const ok = await state.acquireLock(key, { owner: runId, ...lease, signal });
      if (ok) held.add(key);
      return ok;
    },
    release: async (key) => {
      await state.releaseLock(key, runId);
      // Forgotten only once released: a release that failed is retried at the end of the run (D15).
      held.delete(key);
    },
  };

  let runError: string | undefined;
  let resources: RunResources | undefined;
  let result: Awaited<ReturnType<typeof runJobs>> | undefined;
  try {
    events.runStart(options.flowYaml, options.statePath);
    if (flowChange !== null) {
      logger.log("WARNING", events.loggerName, flowChange, { run_id: runId });
    }
    try {
      // docs/failure-recovery.md: a group a killed invocation left running is stopped before any step re-runs.
      await stopLeftoverGroups({
        state,
        runId,
        host: options.record.host,
        log: (level, msg) => logger.log(level, events.loggerName, msg, { run_id: runId }),
      });
      resources = await options.prepareResources?.();
    } catch (err) {
      runError = errorMessage(err);
    }
    if (runError === undefined) {
      try {
        result = await runJobs({
          flow: options.flow,
          runId,
          flowJob: options.flowJob,
          snapshot: options.snapshot,
          registry: options.registry,
          state,
          logger,
          events,
          signal,
          clock,
          locks,
          addSecret: options.addSecret ?? (() => {}),
          mask: options.mask,
          byteSecrets: options.byteSecrets,
          workRoot,
          settings,
          connectors: resources?.connectors ?? ConnectorAccessor.empty(ConnectorRegistry.withBuiltins()),
        });
      } catch (err) {
        runError = errorMessage(err);
      }
    }
    // D15: every lock this run still holds is released on every exit path the process survives.
    await _releaseAll(held, locks);
    if (runError !== undefined) {
      logger.log("ERROR", events.loggerName, `Run failed: ${runError}`, { run_id: runId });
    }
  } catch (err) {
    // A report that cannot be written (a closed log pipe) still closes the run record before the error goes up.
    await _releaseAll(held, locks);
    await _quietly(() =>
      state.finishRun(runId, { status: "FAILED", exitCode: 1, error: runError ?? errorMessage(err) })
    );
    await _closeResources(resources, logger, events.loggerName);
    throw err;
  }

  const error = runError ?? result?.terminated;
  const exitCode: 0 | 1 = runError !== undefined || result?.failed ? 1 : 0;
  const statusCounts = result?.statusCounts ?? {};
  try {
    events.runSummary(Math.trunc(clock.monotonic() - t0), statusCounts, error, exitCode);
  } catch (err) {
    // docs/execution-model.md step 11 keeps its order (run_summary, then the record); an unwritable run_summary still closes the
    // record, FAILED like the process's exit.
    await _quietly(() =>
      state.finishRun(runId, { status: "FAILED", exitCode: 1, error: error ?? errorMessage(err) })
    );
    await _closeResources(resources, logger, events.loggerName);
    throw err;
  }
  await state.finishRun(runId, {
    status: exitCode === 0 ? "SUCCESS" : "FAILED",
    exitCode,
    ...(error !== undefined ? { error } : {}),
  });
  await _closeResources(resources, logger, events.loggerName);
  return {
    exitCode,
    runId,
    flowId,
    jobStatuses: Object.fromEntries(result?.jobStatuses ?? []),
    statusCounts,
    ...(error !== undefined ? { error } : {}),
  };
}

/**
 * A resume whose flow file differs from the one the run record holds: the WARNING naming the finished steps
 * reused although their definition changed (docs/failure-recovery.md "Resume after the flow changed"), or null.
 * A failure to read the rows is not the run's failure: the warning says what could not be compared.
 */
async function _flowChange(options: RunFlowOptions): Promise<string | null> {
  const { state, runId } = options;
  if (!state.getRun) return null;
  const previous = await state.getRun(runId);
  const sha256 = options.record.flowSha256;
  if (!previous?.flowSha256 || !sha256 || previous.flowSha256 === sha256) return null;
  let records;
  try {
    records = state.listStepRecords
      ? await state.listStepRecords(runId)
      : await _stepRecordsOneByOne(options);
  } catch (err) {
    return `Flow changed since run ${runId} was last started (flow_sha256 ${
      previous.flowSha256.slice(0, 12)
    } -> ` +
      `${sha256.slice(0, 12)}); the finished steps could not be compared: ${errorMessage(err)}`;
  }
  const change = compareFinishedSteps(previous, sha256, records, options.flow.jobs);
  return change === null ? null : flowChangeMessage(change);
}

/** Without `listStepRecords`: the rows of the current flow's steps, one read each. */
async function _stepRecordsOneByOne(options: RunFlowOptions): Promise<StepRecord[]> {
  const out: StepRecord[] = [];
  for (const job of options.flow.jobs) {
    for (const step of job.steps) {
      const rec = await options.state.getStepRecord(job.id, options.runId, step.id);
      if (rec) out.push(rec);
    }
  }
  return out;
}

/** D15: release every lock still held; a release that fails stays with its TTL. */
async function _releaseAll(held: Set<string>, locks: LockApi): Promise<void> {
  for (const key of [...held]) await _quietly(() => locks.release(key));
}

/** Close run-scoped connectors (docs/execution-model.md step 11): errors are logged, not raised. */
async function _closeResources(
  resources: RunResources | undefined,
  logger: RunFlowOptions["logger"],
  loggerName: string,
): Promise<void> {
  if (!resources?.close) return;
  try {
    await resources.close();
  } catch (err) {
    await _quietly(() =>
      logger.log("WARNING", loggerName, `Closing connectors failed: ${errorMessage(err)}`)
    );
  }
}

async function _quietly(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch {
    // Best effort on a path that is already failing: a lock row expires with its TTL anyway.
  }
}
