/**
 * Child process groups that outlive their runner (docs/state.md "Process groups", docs/failure-recovery.md). A
 * step's child group is recorded in state (host, pgid, the leader's start time, boot id) before the step reports
 * it running, and forgotten once its leader is reaped. A runner killed with SIGKILL cannot stop its child, so the
 * resume of that run id finds the row and, before any step runs, stops the group (SIGTERM to the group, the
 * step's grace, SIGKILL) when it is still the same group on this host; it never touches a process whose pid was
 * reused since (other start time) nor a group on another host.
 * @module
 */
import { AetherflowError } from "../errors.ts";
import type { ProcessGroupRecord, RecordProcessGroupOptions } from "../state/types.ts";
import type { ProcessGroupApi } from "../steps/types.ts";
import type { RunnerStateStore } from "./types.ts";
import { allProcesses, bootId, type ProcStat, readProcStat, signalProcessGroup } from "./_proc.ts";

/** What this host's processes look like (tests substitute one). */
export interface ProcessProbe {
  /** This host's id (`AETHERFLOW_HOST_ID`, else the host name): a row of another host is never acted on. */
  readonly host: string;
  /** This boot's id, null when unknown. */
  readonly bootId: string | null;
  stat(pid: number): ProcStat | null;
  all(): ProcStat[];
}

/** The live processes of this host, through procfs. */
export function hostProbe(host: string): ProcessProbe {
  return { host, bootId: bootId(), stat: readProcStat, all: allProcesses };
}

/** What a recorded group is now. */
export type GroupVerdict =
  /** Recorded on another host: not checked, not signalled. */
  | { kind: "other_host" }
  /** No start time was recorded: it cannot be told apart from a reused pid, so it is not touched. */
  | { kind: "unverifiable" }
  /** Nothing of it is left (or the host restarted since). */
  | { kind: "gone"; why: string }
  /** The pid now names another process (another start time): not ours, not touched. */
  | { kind: "reused"; startTicks: number }
  /** Still running: these processes (not zombies) are in the group. */
  | { kind: "running"; members: number[] };

/** The live (non-zombie) members of the recorded group: same pgid, started no earlier than its leader. */
function _members(rec: ProcessGroupRecord, probe: ProcessProbe): number[] {
  const since = rec.startTicks ?? 0;
  return probe.all()
    .filter((p) => p.pgrp === rec.pgid && p.state !== "Z" && p.startTicks >= since)
    .map((p) => p.pid);
}

/**
 * Judge a recorded group on this host. The leader's pid with another start time means the pid was reused: not
 * ours. With the same start time, or with the leader gone while members it left behind remain in the group (the
 * kernel does not hand out a pid still used as a process-group id), it is ours and still running.
 */
export function judgeGroup(rec: ProcessGroupRecord, probe: ProcessProbe): GroupVerdict {
  if (rec.host !== probe.host) return { kind: "other_host" };
  if (rec.startTicks === null) return { kind: "unverifiable" };
  if (rec.bootId !== null && probe.bootId !== null && rec.bootId !== probe.bootId) {
    return { kind: "gone", why: "the host restarted since" };
  }
  const leader = probe.stat(rec.pgid);
  if (leader !== null && leader.startTicks !== rec.startTicks) {
    return { kind: "reused", startTicks: leader.startTicks };
  }
  const members = _members(rec, probe);
  if (members.length === 0) return { kind: "gone", why: "no process is left in it" };
  return { kind: "running", members };
}

/** Where the stop reports (the run's flow logger). */
export type GroupLog = (level: "INFO" | "WARNING" | "ERROR", msg: string) => void;

export interface StopLeftoverOptions {
  state: RunnerStateStore;
  runId: string;
  /** This host's id (the run record's). */
  host: string;
  log: GroupLog;
  /** Default: this host's processes through procfs. */
  probe?: ProcessProbe;
  /** Signals a group; default `kill(-pgid, signal)`. */
  signal?: (pgid: number, signal: "SIGTERM" | "SIGKILL") => void;
  /** How long to wait for the group to vanish after SIGKILL; default 10 s. */
  killWaitMs?: number;
  /** Poll period while waiting; default 50 ms. */
  pollMs?: number;
}

const _KILL_WAIT_MS = 10_000;
const _POLL_MS = 50;

function _where(rec: ProcessGroupRecord): string {
  return `job_id=${rec.jobId} step_id=${rec.stepId} host=${rec.host} runner_pid=${rec.runnerPid} ` +
    `started_at=${new Date(rec.startedAtMs).toISOString()}`;
}

/** Poll until the group has no live member or `ms` elapsed; returns whether it is gone. */
async function _vanished(rec: ProcessGroupRecord, probe: ProcessProbe, ms: number, pollMs: number) {
  const deadline = performance.now() + ms;
  for (;;) {
    if (_members(rec, probe).length === 0) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
  }
}

/**
 * Before a run id's steps run: deal with every process group a previous invocation recorded and did not see
 * reaped. A running group on this host is stopped (SIGTERM to the group, the step's `kill_grace_seconds`, then
 * SIGKILL), logged with its pgid, and its row deleted; a gone or reused one is logged and its row deleted; one
 * on another host is left alone with a WARNING (its row stays, so a resume on that host can still stop it).
 * @throws {AetherflowError} when a group is still there after SIGKILL: the run must not start a second copy.
 */
export async function stopLeftoverGroups(options: StopLeftoverOptions): Promise<void> {
  const { state, runId, log } = options;
  if (!state.listProcessGroups) return;
  const rows = await state.listProcessGroups(runId);
  if (rows.length === 0) return;
  const probe = options.probe ?? hostProbe(options.host);
  const send = options.signal ?? ((pgid, sig) => void signalProcessGroup(pgid, sig));
  const pollMs = options.pollMs ?? _POLL_MS;
  for (const rec of rows) {
    const verdict = judgeGroup(rec, probe);
    const pg = `Process group pgid=${rec.pgid} of a previous invocation (${_where(rec)})`;
    switch (verdict.kind) {
      case "other_host":
        log(
          "WARNING",
          `${pg} was started on another host: it is not checked or stopped from host ${probe.host}; if it still ` +
            `runs there, it runs beside this invocation's copy of the step: stop it on ${rec.host} ` +
            `(kill -TERM -- -${rec.pgid})`,
        );
        continue;
      case "unverifiable":
        log(
          "WARNING",
          `${pg} has no recorded start time: it cannot be told from a reused pid, so it is not touched`,
        );
        break;
      case "gone":
        log("INFO", `${pg} is gone: ${verdict.why}`);
        break;
      case "reused":
        log("INFO", `${pg} is gone: pid ${rec.pgid} is now another process (other start time), not touched`);
        break;
      case "running": {
        const grace = rec.graceMs / 1000;
        log(
          "WARNING",
          `Stopping process group pgid=${rec.pgid} left running by a previous invocation (${_where(rec)}, ` +
            `processes=${verdict.members.length}): SIGTERM, SIGKILL after ${grace}s`,
        );
        send(rec.pgid, "SIGTERM");
        let by = "SIGTERM";
        if (!(await _vanished(rec, probe, rec.graceMs, pollMs))) {
          by = "SIGKILL";
          send(rec.pgid, "SIGKILL");
          if (!(await _vanished(rec, probe, options.killWaitMs ?? _KILL_WAIT_MS, pollMs))) {
            throw new AetherflowError(
              `Process group ${rec.pgid} left running by a previous invocation of run ${runId} (job ` +
                `'${rec.jobId}', step '${rec.stepId}') is still there after SIGKILL: not starting a second copy; ` +
                `stop it (kill -KILL -- -${rec.pgid}) and resume again`,
              { code: "run:orphan_alive" },
            );
          }
        }
        log("INFO", `Process group pgid=${rec.pgid} stopped (${by}) step_id=${rec.stepId}`);
        break;
      }
    }
    await state.clearProcessGroup?.({ runId, jobId: rec.jobId, stepId: rec.stepId, pgid: rec.pgid });
  }
}

/**
 * The `StepContext.processGroups` of one step: records a child group it started (with the leader's start time
 * and this boot's id) and forgets it once reaped. A leader already gone when recorded has nothing to protect.
 */
export function processGroupTracker(options: {
  state: RunnerStateStore;
  runId: string;
  jobId: string;
  stepId: string;
  probe?: Pick<ProcessProbe, "stat" | "bootId">;
}): ProcessGroupApi {
  const { state, runId, jobId, stepId } = options;
  return {
    async started(pgid, started) {
      if (!state.recordProcessGroup) return;
      const probe = options.probe ?? { stat: readProcStat, bootId: bootId() };
      const leader = probe.stat(pgid);
      if (leader === null) return;
      const row: RecordProcessGroupOptions = {
        runId,
        jobId,
        stepId,
        pgid,
        startTicks: leader.startTicks,
        bootId: probe.bootId,
        graceMs: Math.round(started.graceSeconds * 1000),
      };
      await state.recordProcessGroup(row);
    },
    async reaped(pgid) {
      await state.clearProcessGroup?.({ runId, jobId, stepId, pgid });
    },
  };
}
