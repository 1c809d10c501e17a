/**
 * The state side of one run invocation (docs/execution-model.md, docs/failure-recovery.md): the state backend the
 * flow names (a SQLite file, or a PostgreSQL database), the run lease (one invocation per run id at a time), the
 * guard against resuming another flow's run id, and the writes of a forced exit.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { AetherflowError, EXIT, UsageError } from "../errors.ts";
import {
  describeTarget,
  openStateBackend,
  postgresTarget,
  type RunLease,
  type StateBackend,
  type StateTarget,
} from "../state/mod.ts";
import type { RunnerFlowMeta } from "./types.ts";

export interface OpenRunSessionOptions {
  /** Where the state lives (see {@link flowStateTarget}). */
  target: StateTarget;
  runId: string;
  flowId: string;
  /** The snapshot: `AETHERFLOW_STATE_SYNCHRONOUS=NORMAL` relaxes fsync (SQLite; default FULL). */
  snapshot: Readonly<Record<string, string>>;
  /** Masks every text column written [D18]. */
  mask: (text: string) => string;
  /** Run lease length (setting `lease_seconds`, default 60). */
  leaseSeconds?: number;
  /** The lease expired and another invocation took it over (or could not be renewed for a whole TTL). */
  onLeaseLost?: () => void;
}

/** An open state backend holding this invocation's run lease. */
export interface RunSession {
  state: StateBackend;
  lease: RunLease;
  target: StateTarget;
  /** Where the state is, as shown to users: the absolute file (`:memory:` as is) or the URL without password. */
  statePath: string;
  /**
   * A second SIGINT/SIGTERM: record that the run was cut short (RUNNING jobs and the run FAILED), then release the
   * locks and the lease, so no row claims RUNNING for a process about to exit. With SQLite every write is done
   * before the promise is returned.
   */
  recordForcedExit(signal: string): Promise<void>;
  /** Release the lease, then close the backend. Idempotent. */
  close(): Promise<void>;
}

/** The absolute state DB path of a rendered `state.path`. */
export function resolveStatePath(path: string, cwd: string): string {
  return isAbsolute(path) || path === ":memory:" ? path : resolve(cwd, path);
}

/**
 * The state target of a rendered `flow.state` block: the SQLite file (relative to `cwd`), or the PostgreSQL
 * database of `state.url`, else of `state.profile` (`profileUrl`: the profile's resolved `config.url`, see
 * `stateUrlFromProfile`), else of the setting `state_url`.
 * @throws {UsageError} (exit 2) for `backend: postgres` without a URL, or a URL that does not parse.
 */
export function flowStateTarget(
  state: RunnerFlowMeta["state"],
  options: { cwd: string; stateUrl?: string | null; profileUrl?: string | null },
): StateTarget {
  if (state.backend !== "postgres") {
    return { kind: "sqlite", path: resolveStatePath(state.path, options.cwd) };
  }
  const url =
    [state.url, options.profileUrl, options.stateUrl].map((u) => (u ?? "").trim()).find((u) => u !== "") ??
      "";
  if (url === "") {
    throw new UsageError(
      "flow.state.backend is postgres but no database URL is set: give flow.state.url " +
        '(e.g. "{{env.STATE_DB_URL}}"), flow.state.profile (a profile with config.url) or the setting ' +
        "state_url (AETHERFLOW_STATE_URL)",
      { code: "config:state_url", loc: "flow.state.url" },
    );
  }
  return postgresTarget(url, state.schema ?? "public");
}

/**
 * Open the backend and take the run lease before the run record or any row is touched, so a refused invocation
 * (`Run <id> is already running …`, exit 1) writes nothing; then refuse a run id that belongs to another flow
 * (job rows carry no flow id, so they would be "resumed" as ours) [ours].
 * @throws {StateError} when the lease is held; {@link UsageError} (exit 2) for another flow's run id.
 */
export async function openRunSession(options: OpenRunSessionOptions): Promise<RunSession> {
  const synchronous = (options.snapshot.AETHERFLOW_STATE_SYNCHRONOUS ?? "").trim().toUpperCase() === "NORMAL"
    ? "NORMAL"
    : "FULL";
  const state = await openStateBackend(options.target, { synchronous, mask: options.mask });
  let lease: RunLease;
  try {
    lease = await state.holdRunLease(options.runId, {
      onLost: options.onLeaseLost,
      ...(options.leaseSeconds !== undefined ? { ttlSeconds: options.leaseSeconds } : {}),
    });
  } catch (err) {
    await state.close();
    throw err;
  }
  const statePath = options.target.kind === "sqlite" ? options.target.path : describeTarget(options.target);
  try {
    const previous = await state.getRun(options.runId);
    if (previous && previous.flowId !== options.flowId) {
      throw new UsageError(
        `Run ${options.runId} in ${statePath} belongs to flow '${previous.flowId}', not '${options.flowId}'; ` +
          "use another --run-id or state location",
      );
    }
  } catch (err) {
    await lease.release();
    await state.close();
    throw err instanceof AetherflowError ? err : new AetherflowError(String(err), { cause: err });
  }
  let closed = false;
  return {
    state,
    lease,
    target: options.target,
    statePath,
    recordForcedExit: (signal) => recordForcedExit(state, lease, signal),
    async close() {
      if (closed) return;
      closed = true;
      await lease.release();
      await state.close();
    },
  };
}

/** See {@link RunSession.recordForcedExit}. */
export async function recordForcedExit(state: StateBackend, lease: RunLease, signal: string): Promise<void> {
  const runId = lease.runId;
  const error = `terminated by ${signal} (second signal: exited without waiting for the step to stop)`;
  try {
    for (const rec of await state.listJobRecords(runId)) {
      if (rec.status !== "RUNNING") continue;
      await state.setJobStatus(rec.jobId, runId, "FAILED", {
        outputs: rec.outputs,
        error,
        startedAtMs: rec.startedAtMs,
        endedAtMs: Date.now(),
      });
    }
    await state.finishRun(runId, { status: "FAILED", exitCode: EXIT.FAILED, error });
  } finally {
    // Locks are released on every exit path the process survives, this one included; the run lease last.
    try {
      await state.releaseAllLocks(runId);
    } catch {
      // The lease still expires after its ttl_seconds; exiting now is what the second signal asked for.
    }
    await lease.release();
  }
}
