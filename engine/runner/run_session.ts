/**
 * The state side of one run invocation (docs/execution-model.md, docs/failure-recovery.md): the state store at
 * the rendered `state.path`, the run lease (one invocation per run id at a time), the guard against resuming
 * another flow's run id, and the synchronous writes of a forced exit.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { EXIT, UsageError } from "../errors.ts";
import { type RunLease, StateStore } from "../state/mod.ts";

export interface OpenRunSessionOptions {
  /** The rendered `flow.state.path`; relative to `cwd`; `:memory:` as is. */
  statePath: string;
  cwd: string;
  runId: string;
  flowId: string;
  /** The snapshot: `AETHERFLOW_STATE_SYNCHRONOUS=NORMAL` relaxes fsync (default FULL). */
  snapshot: Readonly<Record<string, string>>;
  /** Masks every text column written [D18]. */
  mask: (text: string) => string;
  /** The lease expired and another invocation took it over. */
  onLeaseLost?: () => void;
}

/** An open state store holding this invocation's run lease. */
export interface RunSession {
  state: StateStore;
  lease: RunLease;
  /** Absolute state DB path (`:memory:` as is). */
  statePath: string;
  /**
   * A second SIGINT/SIGTERM: record synchronously that the run was cut short (RUNNING jobs and the run FAILED),
   * then release the locks and the lease, so no row claims RUNNING for a process about to exit.
   */
  recordForcedExit(signal: string): void;
  /** Release the lease, then close the store. Idempotent. */
  close(): void;
}

/** The absolute state DB path of a rendered `state.path`. */
export function resolveStatePath(path: string, cwd: string): string {
  return isAbsolute(path) || path === ":memory:" ? path : resolve(cwd, path);
}

/**
 * Open the store and take the run lease before the run record or any row is touched, so a refused invocation
 * (`Run <id> is already running …`, exit 1) writes nothing; then refuse a run id that belongs to another flow
 * (job rows carry no flow id, so they would be "resumed" as ours) [ours].
 * @throws {StateError} when the lease is held; {@link UsageError} (exit 2) for another flow's run id.
 */
export function openRunSession(options: OpenRunSessionOptions): RunSession {
  const statePath = resolveStatePath(options.statePath, options.cwd);
  const synchronous = (options.snapshot.AETHERFLOW_STATE_SYNCHRONOUS ?? "").trim().toUpperCase() === "NORMAL"
    ? "NORMAL"
    : "FULL";
  const state = StateStore.open(statePath, { synchronous, mask: options.mask });
  let lease: RunLease;
  try {
    lease = state.holdRunLease(options.runId, { onLost: options.onLeaseLost });
  } catch (err) {
    state.close();
    throw err;
  }
  const previous = state.getRun(options.runId);
  if (previous && previous.flowId !== options.flowId) {
    lease.release();
    state.close();
    throw new UsageError(
      `Run ${options.runId} in ${statePath} belongs to flow '${previous.flowId}', not '${options.flowId}'; ` +
        "use another --run-id or state.path",
    );
  }
  let closed = false;
  return {
    state,
    lease,
    statePath,
    recordForcedExit: (signal) => recordForcedExit(state, lease, signal),
    close() {
      if (closed) return;
      closed = true;
      lease.release();
      state.close();
    },
  };
}

/** See {@link RunSession.recordForcedExit}. */
export function recordForcedExit(state: StateStore, lease: RunLease, signal: string): void {
  const runId = lease.runId;
  const error = `terminated by ${signal} (second signal: exited without waiting for the step to stop)`;
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
    // Locks are released on every exit path the process survives, this one included; the run lease last.
    try {
      state.releaseAllLocks(runId);
    } catch {
      // The lease still expires after its ttl_seconds; exiting now is what the second signal asked for.
    }
    lease.release();
  }
}
