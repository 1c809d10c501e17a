// Retention (docs/cli.md "runs prune"): remove old runs consistently — job directories and the run log first,
// then every state row of the run in one transaction, so a prune cut short leaves rows that a later prune
// finishes (never directories nobody knows about).
import { errorMessage } from "../errors.ts";
import { removeRunLog } from "../observe/run_log.ts";
import { jobLayout } from "../runner/workspace.ts";
import type { StateBackend } from "../state/mod.ts";
import { isStaleRun } from "./run_view.ts";
import { removeTreeStrict } from "./_runtime.ts";

export { parseAge } from "./age.ts";

/** The documented default of `--older-than`. */
export const DEFAULT_RETENTION = "30d";

export interface PruneOptions {
  /** Runs that ended (or, without a record, were last written) before this epoch ms are removed. */
  cutoffMs: number;
  /** Keep FAILED runs whatever their age. */
  keepFailed?: boolean;
}

/** One run to remove. `flowId`/`status` are null for rows without a run record (upstream). */
export interface PruneCandidate {
  runId: string;
  flowId: string | null;
  status: string | null;
  /** When the run ended (or was last written), epoch ms. */
  lastAtMs: number;
  /** `<root>/<flow_id>/<job_id>/<run_id>` of each job row, when the workspace root is recorded. */
  dirs: string[];
  logPath: string | null;
}

export interface PrunePlan {
  runs: PruneCandidate[];
  /** Old runs left alone, with why (still running, FAILED with --keep-failed). */
  skipped: { runId: string; reason: string }[];
}

/** Decide what to remove (reads only). */
export async function planPrune(store: StateBackend, options: PruneOptions): Promise<PrunePlan> {
  const plan: PrunePlan = { runs: [], skipped: [] };
  const locks = await store.listLocks();
  for (const run of await store.listRuns({})) {
    const lastAtMs = run.endedAtMs ?? (run.endedAt !== null ? run.endedAt * 1000 : null) ??
      run.invokedAtMs ?? run.startedAtMs ?? run.startedAt * 1000;
    if (lastAtMs >= options.cutoffMs) continue;
    if (run.status === "RUNNING" && !isStaleRun(run, locks)) {
      plan.skipped.push({ runId: run.runId, reason: "running" });
      continue;
    }
    if (options.keepFailed && run.status === "FAILED") {
      plan.skipped.push({ runId: run.runId, reason: "failed (--keep-failed)" });
      continue;
    }
    const dirs: string[] = [];
    if (run.workspaceRoot !== null) {
      for (const job of await store.listJobRecords(run.runId)) {
        const dir = _jobDir(run.workspaceRoot, run.flowId, job.jobId, run.runId);
        if (dir !== null) dirs.push(dir);
      }
    }
    plan.runs.push({
      runId: run.runId,
      flowId: run.flowId,
      status: run.status,
      lastAtMs,
      dirs,
      logPath: run.logPath,
    });
  }
  for (const orphan of await store.listOrphanRunIds()) {
    if (orphan.updatedAt * 1000 >= options.cutoffMs) continue;
    plan.runs.push({
      runId: orphan.runId,
      flowId: null,
      status: null,
      lastAtMs: orphan.updatedAt * 1000,
      dirs: [],
      logPath: null,
    });
  }
  plan.runs.sort((a, b) => a.lastAtMs - b.lastAtMs);
  return plan;
}

// Only a directory the runner itself would have created: ids that are not safe path segments yield none.
function _jobDir(root: string, flowId: string, jobId: string, runId: string): string | null {
  try {
    return jobLayout({ root, flowId, jobId, runId, layout: {} }).jobDir;
  } catch {
    return null;
  }
}

/** What happened to one run. `error` set: its rows were kept (a later prune retries). */
export interface PruneResult {
  runId: string;
  rows: number;
  removedDirs: string[];
  logRemoved: boolean;
  error?: string;
}

/** Carry out the plan, run by run: directories and log file, then the rows. */
export async function applyPrune(store: StateBackend, plan: PrunePlan): Promise<PruneResult[]> {
  const out: PruneResult[] = [];
  for (const run of plan.runs) {
    const result: PruneResult = { runId: run.runId, rows: 0, removedDirs: [], logRemoved: false };
    try {
      for (const dir of run.dirs) if (await removeTreeStrict(dir)) result.removedDirs.push(dir);
      if (run.logPath !== null) result.logRemoved = await removeRunLog(run.logPath);
      result.rows = await store.deleteRun(run.runId);
    } catch (err) {
      result.error = errorMessage(err);
    }
    out.push(result);
  }
  return out;
}
