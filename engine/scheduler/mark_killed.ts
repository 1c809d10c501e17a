// B.7 "no RUNNING ghost" [D13]: a child killed after the shutdown grace cannot close its own rows, so the
// scheduler marks its run record and RUNNING job rows FAILED in the state DB named by the child's run_start.
import { StateError } from "../errors.ts";
import { isPostgresUrl, type StateBackend, StateStore } from "../state/mod.ts";

export const KILLED_ERROR = "killed after scheduler shutdown grace";
/** The error of a run killed because it outlived its item's `timeout` and the grace after SIGTERM. */
export const TIMEOUT_KILLED_ERROR = "killed after exceeding the item timeout";

/** Mark `runId` FAILED in the state DB at `statePath`; rows already finished are left alone. */
export function markKilledRun(runId: string, statePath: string, error: string = KILLED_ERROR): void {
  // run_start names a PostgreSQL state without its password, so the scheduler cannot log in with it: the rows
  // stay RUNNING until the run id is resumed (its lease expires after lease_seconds, docs/fleet.md), unless the
  // scheduler shares that state itself (markKilledIn).
  if (isPostgresUrl(statePath)) {
    throw new StateError(`PostgreSQL state: run ${runId} is repaired by its next invocation, not here`);
  }
  const store = StateStore.open(statePath);
  try {
    _markSync(store, runId, error);
  } finally {
    store.close();
  }
}

function _markSync(store: StateStore, runId: string, error: string): void {
  for (const job of store.listJobRecords(runId)) {
    if (job.status === "RUNNING") store.setJobStatus(job.jobId, runId, "FAILED", { error });
  }
  const run = store.getRun(runId);
  if (run && run.status === "RUNNING") store.finishRun(runId, { status: "FAILED", exitCode: 137, error });
}

/** {@link markKilledRun} in an open backend (the scheduler's shared state, when the run used it too). */
export async function markKilledIn(
  backend: StateBackend,
  runId: string,
  error: string = KILLED_ERROR,
): Promise<void> {
  for (const job of await backend.listJobRecords(runId)) {
    if (job.status === "RUNNING") await backend.setJobStatus(job.jobId, runId, "FAILED", { error });
  }
  const run = await backend.getRun(runId);
  if (run && run.status === "RUNNING") {
    await backend.finishRun(runId, { status: "FAILED", exitCode: 137, error });
  }
}
