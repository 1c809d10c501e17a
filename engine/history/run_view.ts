// What `runs list` and `runs show` print (docs/cli.md "Run history"): the run record, its job and step rows,
// durations, resume and staleness, as plain data in the CLI's one JSON style (ISO times plus `*_ms`).
import type { JobRecord, LockInfo, RunRecord, StateBackend, StepRecord } from "../state/mod.ts";
import { runLeaseKey } from "../state/mod.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/** ISO 8601 UTC with milliseconds, or null. */
export function isoTime(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/**
 * A RUNNING run nobody is running: its run lease (`run:<id>`) is gone, expired, or held by a pid that no longer
 * exists on this host (a SIGKILLed or crashed invocation). One rule, shared by every view.
 */
export function isStaleRun(run: Pick<RunRecord, "runId" | "status">, locks: readonly LockInfo[]): boolean {
  if (run.status !== "RUNNING") return false;
  const lease = locks.find((l) => l.key === runLeaseKey(run.runId));
  return lease === undefined || lease.expired || lease.alive === false;
}

function _startedMs(run: RunRecord): number {
  return run.startedAtMs ?? run.startedAt * 1000;
}

function _endedMs(run: RunRecord): number | null {
  return run.endedAtMs ?? (run.endedAt === null ? null : run.endedAt * 1000);
}

function _duration(start: number | null, end: number | null): number | null {
  return start === null || end === null ? null : Math.max(0, end - start);
}

/** One run in list form (every field of the run record, times as ISO + ms). */
export function runSummaryJson(run: RunRecord, locks: readonly LockInfo[]): JsonObject {
  const started = _startedMs(run);
  const ended = _endedMs(run);
  return {
    run_id: run.runId,
    flow_id: run.flowId,
    status: run.status,
    stale: isStaleRun(run, locks),
    exit_code: run.exitCode,
    started_at: isoTime(started),
    started_at_ms: started,
    ended_at: isoTime(ended),
    ended_at_ms: ended,
    duration_ms: _duration(run.invokedAtMs ?? started, ended),
    invocations: run.invocations,
    flow_yaml: run.flowYaml,
    flow_sha256: run.flowSha256,
    version: run.version,
    host: run.host,
    pid: run.pid,
    plugins: run.plugins as unknown as JsonValue,
    bundle: run.bundle,
    error: run.error,
  };
}

/** A step of `runs show`. `resumed`: restored from an earlier invocation in the latest one. */
export interface StepView {
  step_id: string;
  step_type: string | null;
  status: string;
  started_at: string | null;
  started_at_ms: number | null;
  ended_at: string | null;
  ended_at_ms: number | null;
  duration_ms: number | null;
  resumed: boolean;
  inputs: JsonObject | null;
  output: JsonObject | null;
  promoted: JsonObject | null;
}

export interface JobView {
  job_id: string;
  status: string;
  started_at: string | null;
  started_at_ms: number | null;
  ended_at: string | null;
  ended_at_ms: number | null;
  duration_ms: number | null;
  outputs: JsonObject | null;
  skip_reason: string | null;
  skip_trigger: string | null;
  error: string | null;
  steps: StepView[];
}

/** `runs show`: the run (null for rows without a run record) and its jobs with their steps. */
export interface RunView {
  run_id: string;
  run: (JsonObject & { env: JsonValue; settings: JsonValue }) | null;
  jobs: JobView[];
}

/** Read one run; null when the database knows nothing of `runId`. */
export async function loadRunView(store: StateBackend, runId: string): Promise<RunView | null> {
  const run = await store.getRun(runId);
  const jobs = await store.listJobRecords(runId);
  const steps = await store.listStepRecords(runId);
  if (run === null && jobs.length === 0 && steps.length === 0) return null;
  const locks = run?.status === "RUNNING" ? await store.listLocks() : [];
  return buildRunView(runId, run, jobs, steps, locks);
}

/** Assemble the view (pure): jobs by start time, steps by start time within their job. */
export function buildRunView(
  runId: string,
  run: RunRecord | null,
  jobs: readonly JobRecord[],
  steps: readonly StepRecord[],
  locks: readonly LockInfo[],
): RunView {
  const invokedAt = run?.invokedAtMs ?? null;
  const stepViews = new Map<string, StepView[]>();
  for (const s of _byTime(steps, (s) => s.startedAtMs ?? s.endedAtMs ?? s.updatedAt * 1000)) {
    const list = stepViews.get(s.jobId) ?? [];
    list.push({
      step_id: s.stepId,
      step_type: s.stepType,
      status: s.status,
      started_at: isoTime(s.startedAtMs),
      started_at_ms: s.startedAtMs,
      ended_at: isoTime(s.endedAtMs),
      ended_at_ms: s.endedAtMs,
      duration_ms: _duration(s.startedAtMs, s.endedAtMs),
      resumed: invokedAt !== null && s.endedAtMs !== null && s.endedAtMs < invokedAt,
      inputs: s.inputs,
      output: s.output,
      promoted: s.promoted,
    });
    stepViews.set(s.jobId, list);
  }
  const jobViews: JobView[] = _byTime(jobs, (j) => j.startedAtMs ?? j.endedAtMs ?? j.updatedAt * 1000).map((
    j,
  ) => ({
    job_id: j.jobId,
    status: j.status,
    started_at: isoTime(j.startedAtMs),
    started_at_ms: j.startedAtMs,
    ended_at: isoTime(j.endedAtMs),
    ended_at_ms: j.endedAtMs,
    duration_ms: _duration(j.startedAtMs, j.endedAtMs),
    outputs: j.outputs,
    skip_reason: j.skipReason,
    skip_trigger: j.skipTrigger,
    error: j.error,
    steps: stepViews.get(j.jobId) ?? [],
  }));
  // Steps of a job without a job row (a killed run, hand-edited rows) are still shown.
  for (const [jobId, list] of stepViews) {
    if (jobs.some((j) => j.jobId === jobId)) continue;
    jobViews.push({
      job_id: jobId,
      status: "UNKNOWN",
      started_at: null,
      started_at_ms: null,
      ended_at: null,
      ended_at_ms: null,
      duration_ms: null,
      outputs: null,
      skip_reason: null,
      skip_trigger: null,
      error: null,
      steps: list,
    });
  }
  return {
    run_id: runId,
    run: run === null ? null : {
      ...runSummaryJson(run, locks),
      invoked_at: isoTime(run.invokedAtMs),
      invoked_at_ms: run.invokedAtMs,
      workspace_root: run.workspaceRoot,
      log_path: run.logPath,
      env: run.env as JsonValue,
      settings: run.settings,
    },
    jobs: jobViews,
  };
}

function _byTime<T>(items: readonly T[], key: (t: T) => number): T[] {
  return items.map((item, i) => ({ item, i, k: key(item) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
}
