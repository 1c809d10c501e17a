// The job loop (docs/execution-model.md): depends_on, when, then the steps; failures are contained per job [D3] and every
// dependency decision can see what earlier invocations of the same run id recorded [D4].
import { errorMessage } from "../errors.ts";
import { STATUS } from "../types.ts";
import type { JsonObject } from "../types.ts";
import { evaluateWhen } from "../when/mod.ts";
import type { JobRecord } from "../state/types.ts";
import type { StepRegistry } from "../steps/registry.ts";
import type { LockApi } from "../steps/types.ts";
import type { Logger } from "../observe/logger.ts";
import { jobLoggerName, type RunEvents } from "../observe/events.ts";
import { runSteps, type StepLoopProgress, TerminatedError } from "./step_loop.ts";
import { createJobLayout, type JobLayout, jobLayout, removeJobDir } from "./workspace.ts";
import type { Clock, RunnerFlow, RunnerJob, RunnerStateStore } from "./types.ts";
import type { SettingValues } from "../config/settings.ts";
import type { ByteSecrets } from "../config/stream_masker.ts";
import type { ConnectorsApi } from "../connectors/types.ts";

export interface JobLoopOptions {
  flow: RunnerFlow;
  runId: string;
  flowJob?: string;
  snapshot: Readonly<Record<string, string>>;
  registry: StepRegistry;
  state: RunnerStateStore;
  logger: Logger;
  events: RunEvents;
  signal: AbortSignal;
  clock: Clock;
  locks: LockApi;
  addSecret: (value: string) => void;
  /** Absolute `flow.workspace.root`. */
  workRoot: string;
  settings: SettingValues;
  connectors: ConnectorsApi;
  mask?: (text: string) => string;
  byteSecrets?: ByteSecrets;
}

/** What the job loop decided, in processing order. */
export interface JobLoopResult {
  jobStatuses: Map<string, string>;
  statusCounts: Record<string, number>;
  /** D2: a job FAILED or is BLOCKED by a failure / a dependency that never ran. */
  failed: boolean;
  /** Set when SIGTERM/SIGINT stopped the loop. */
  terminated?: string;
}

/** Job context as `when` and `jobs.*` templates see it (docs/templating.md, docs/execution-model.md). */
type JobCtx = { status: string; outputs: JsonObject; skip_reason?: string; skip_trigger?: string };

/** Mutable book of the loop. */
interface _Book {
  opts: JobLoopOptions;
  flowLog: string;
  statuses: Map<string, string>;
  /** BLOCKED jobs whose block traces back to a failure (D2). */
  failureBlocked: Set<string>;
  jobCtx: Map<string, JobCtx>;
  /** Rows recorded for this run id before this invocation started [D4]. */
  recorded: Map<string, JobRecord>;
  counts: Record<string, number>;
  failed: boolean;
}

/** Process the flow's jobs in declaration order. */
export async function runJobs(opts: JobLoopOptions): Promise<JobLoopResult> {
  const known = new Set(opts.flow.jobs.map((j) => j.id));
  const recorded = new Map<string, JobRecord>();
  for (const rec of await opts.state.listJobRecords(opts.runId)) {
    if (known.has(rec.jobId)) recorded.set(rec.jobId, rec);
  }
  const book: _Book = {
    opts,
    flowLog: opts.events.loggerName,
    statuses: new Map(),
    failureBlocked: new Set(),
    jobCtx: new Map(),
    recorded,
    counts: {},
    failed: false,
  };
  let terminated: string | undefined;
  for (const job of opts.flow.jobs) {
    if (opts.flowJob !== undefined && job.id !== opts.flowJob) continue;
    // docs/execution-model.md: once terminated, remaining jobs are not processed (no rows).
    if (opts.signal.aborted) break;
    const err = await _processJob(book, job);
    if (err instanceof TerminatedError) {
      terminated = err.message;
      break;
    }
  }
  if (terminated === undefined && opts.signal.aborted) {
    terminated = new TerminatedError(_sig(opts.signal)).message;
  }
  return {
    jobStatuses: book.statuses,
    statusCounts: book.counts,
    failed: book.failed || terminated !== undefined,
    terminated,
  };
}

function _sig(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === "string" && r.startsWith("SIG") ? r : "SIGTERM";
}

function _finish(book: _Book, jobId: string, status: string, ctx: JobCtx): void {
  book.statuses.set(jobId, status);
  book.jobCtx.set(jobId, ctx);
  book.counts[status] = (book.counts[status] ?? 0) + 1;
  if (status === STATUS.FAILED) book.failed = true;
}

/** Returns the error that failed the job, if any. */
async function _processJob(book: _Book, job: RunnerJob): Promise<unknown> {
  const { opts } = book;
  const log = opts.logger.child(jobLoggerName(opts.flow.flow.id, job.id), {
    run_id: opts.runId,
    job_id: job.id,
  });
  if (await _blocked(book, job)) return undefined;
  const when = (job.when ?? "").trim();
  if (when !== "") {
    let ok: boolean;
    try {
      ok = evaluateWhen(when, _jobsCtx(book, job.id));
    } catch (err) {
      const msg = `Invalid job.when for job_id=${job.id}: ${errorMessage(err)}`;
      await opts.state.setJobStatus(job.id, opts.runId, STATUS.FAILED, {
        outputs: {},
        error: msg,
        endedAtMs: opts.clock.now(),
      });
      log.error(`Job failed: ${msg}`);
      _finish(book, job.id, STATUS.FAILED, { status: STATUS.FAILED, outputs: {} });
      return err;
    }
    if (!ok) {
      opts.logger.log("INFO", book.flowLog, `Job skipped job_id=${job.id} when=(${when})`, {
        run_id: opts.runId,
        job_id: job.id,
      });
      await opts.state.setJobStatus(job.id, opts.runId, STATUS.SKIPPED, {
        outputs: {},
        skipReason: "condition=false",
        endedAtMs: opts.clock.now(),
      });
      _finish(book, job.id, STATUS.SKIPPED, {
        status: STATUS.SKIPPED,
        outputs: {},
        skip_reason: "condition=false",
      });
      return undefined;
    }
  }
  return await _execute(book, job, log);
}

// docs/execution-model.md step 2: a dependency is satisfied by SUCCESS in this invocation or, when not processed here, in state [D4].
async function _blocked(book: _Book, job: RunnerJob): Promise<boolean> {
  const { opts } = book;
  const unsatisfied: string[] = [];
  let byFailure = false;
  for (const dep of job.depends_on ?? []) {
    const here = book.statuses.get(dep);
    const status = dep === job.id ? undefined : here ?? book.recorded.get(dep)?.status;
    if (status === STATUS.SUCCESS) continue;
    unsatisfied.push(dep);
    // D2: only a skip (the "no data" path) keeps the run green; failures, failure-blocks and never-ran do not.
    if (status === STATUS.SKIPPED) continue;
    if (status === STATUS.BLOCKED) {
      const failureBlock = here !== undefined
        ? book.failureBlocked.has(dep)
        : book.recorded.get(dep)?.error != null;
      if (!failureBlock) continue;
    }
    byFailure = true;
  }
  if (unsatisfied.length === 0) return false;
  opts.logger.log(
    "WARNING",
    book.flowLog,
    `Job blocked job_id=${job.id} depends_on=${JSON.stringify(unsatisfied)}`,
    { run_id: opts.runId, job_id: job.id, depends_on: unsatisfied },
  );
  // "records why" (D2): a failure-block keeps its cause in `error`, a skip-block in `skip_reason`.
  const why = `blocked by depends_on ${JSON.stringify(unsatisfied)}`;
  await opts.state.setJobStatus(job.id, opts.runId, STATUS.BLOCKED, {
    outputs: {},
    error: byFailure ? why : null,
    skipReason: byFailure ? null : why,
    endedAtMs: opts.clock.now(),
  });
  if (byFailure) {
    book.failureBlocked.add(job.id);
    book.failed = true;
  }
  _finish(book, job.id, STATUS.BLOCKED, { status: STATUS.BLOCKED, outputs: {} });
  return true;
}

/** `jobs` for `when` and templates: this invocation's jobs over the recorded rows; the current job excluded. */
function _jobsCtx(book: _Book, currentJob: string): Record<string, JobCtx> {
  const out: Record<string, JobCtx> = {};
  for (const [id, rec] of book.recorded) {
    if (id === currentJob || book.jobCtx.has(id)) continue;
    const ctx: JobCtx = { status: rec.status, outputs: rec.outputs ?? {} };
    if (rec.skipReason !== null) ctx.skip_reason = rec.skipReason;
    if (rec.skipTrigger !== null) ctx.skip_trigger = rec.skipTrigger;
    out[id] = ctx;
  }
  for (const [id, ctx] of book.jobCtx) if (id !== currentJob) out[id] = ctx;
  return out;
}

async function _execute(book: _Book, job: RunnerJob, log: ReturnType<Logger["child"]>): Promise<unknown> {
  const { opts } = book;
  const meta = opts.flow.flow;
  const runId = opts.runId;
  const startedAtMs = opts.clock.now();
  await opts.state.setJobStatus(job.id, runId, STATUS.RUNNING, { startedAtMs });
  const t0 = opts.clock.monotonic();
  let layout: JobLayout | undefined;
  const progress: StepLoopProgress = { stepOutputs: {}, jobOutputs: {}, skipRest: false, skipReason: null };
  const policy = meta.workspace.cleanup_policy;
  let status: string;
  let reason: string | null;
  try {
    // Inside the try: once the row says RUNNING, any failure (even writing job_start) must end it FAILED.
    opts.events.jobStart(job.id);
    // Inside the try: an id that cannot be a directory name fails this job, and nothing is created or removed.
    layout = jobLayout({
      root: meta.workspace.root,
      flowId: meta.id,
      jobId: job.id,
      runId,
      layout: meta.workspace.layout,
    });
    await createJobLayout(layout);
    await runSteps({
      flowId: meta.id,
      runId,
      job,
      layout,
      snapshot: opts.snapshot,
      registry: opts.registry,
      state: opts.state,
      events: opts.events,
      logger: opts.logger,
      log,
      signal: opts.signal,
      clock: opts.clock,
      jobsCtx: _jobsCtx(book, job.id),
      locks: opts.locks,
      addSecret: opts.addSecret,
      workRoot: opts.workRoot,
      settings: opts.settings,
      mask: opts.mask,
      byteSecrets: opts.byteSecrets,
      connectors: opts.connectors,
    }, progress);
    // The loop records every step of the job (run, resumed or short-circuited), so a short-circuit is a SKIPPED job.
    status = progress.skipRest ? STATUS.SKIPPED : STATUS.SUCCESS;
    reason = progress.skipRest ? progress.skipReason : null;
    await opts.state.setJobStatus(job.id, runId, status, {
      outputs: progress.jobOutputs,
      skipReason: reason,
      skipTrigger: progress.skipRest ? "step" : null,
      startedAtMs,
      endedAtMs: opts.clock.now(),
    });
  } catch (err) {
    const msg = errorMessage(err);
    await opts.state.setJobStatus(job.id, runId, STATUS.FAILED, {
      outputs: progress.jobOutputs,
      error: msg,
      startedAtMs,
      endedAtMs: opts.clock.now(),
    });
    _finish(book, job.id, STATUS.FAILED, { status: STATUS.FAILED, outputs: progress.jobOutputs });
    log.error(`Job failed: ${msg}`);
    if (err instanceof Error && err.stack) log.debug(err.stack);
    if (policy === "always" && layout !== undefined) await removeJobDir(layout);
    opts.events.jobEnd(job.id, STATUS.FAILED, Math.trunc(opts.clock.monotonic() - t0), null);
    return err;
  }
  // Reported after the outcome is durable, outside the catch: a report that fails (a closed log pipe) is a run
  // error, and never turns the job's recorded outcome into FAILED.
  const skipped = status === STATUS.SKIPPED;
  const ctx: JobCtx = { status, outputs: progress.jobOutputs };
  if (skipped) Object.assign(ctx, { skip_reason: reason ?? "", skip_trigger: "step" });
  _finish(book, job.id, status, ctx);
  log.info(skipped ? `Job skipped (no data) reason=${reason}` : "Job success");
  if (policy === "on_success" || policy === "always") {
    await removeJobDir(layout);
    log.info("Job cleaned up");
  }
  opts.events.jobEnd(job.id, status, Math.trunc(opts.clock.monotonic() - t0), reason);
  return undefined;
}
