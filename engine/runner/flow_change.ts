/**
 * Resume after the flow changed (docs/failure-recovery.md "Resume after the flow changed"): each step row keeps
 * the digest of the step definition that wrote it, so a resume whose flow file differs from the recorded one
 * can name the finished steps it reuses although their definition changed.
 * @module
 */
import { createHash } from "node:crypto";
import { STATUS } from "../types.ts";
import type { RunRecord, StepRecord } from "../state/types.ts";
import type { RunnerJob, RunnerStep } from "./types.ts";

/**
 * sha256 (hex) of a step's definition: its `steps:` entry as parsed (`type`, `inputs`, `on_no_data`,
 * `outputs`), as canonical JSON (object keys sorted). Formatting, comments and key order in the file do not
 * count; the step id is the row's key.
 */
export function stepDefinitionSha256(step: RunnerStep): string {
  const definition = {
    type: step.type,
    inputs: step.inputs ?? {},
    on_no_data: step.on_no_data ?? null,
    outputs: step.outputs ?? {},
  };
  return createHash("sha256").update(canonicalJson(definition), "utf8").digest("hex");
}

/** JSON with object keys sorted at every level; values JSON cannot hold are written as their text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") {
    return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(String(value));
}

/** What a resume reuses from an earlier flow (see {@link compareFinishedSteps}); names are `<job>.<step>`. */
export interface FlowChange {
  runId: string;
  previousSha256: string;
  sha256: string;
  /** Finished steps of the current flow whose recorded definition differs (their old outputs are reused). */
  changed: string[];
  /** Finished steps the current flow no longer has. */
  removed: string[];
  /** Finished steps of the current flow whose row has no definition digest (written before schema v5). */
  unknown: string[];
}

/**
 * Compare the run's finished step rows (SUCCESS or SKIPPED: the rows resume reuses) with the current flow's
 * definitions. Null when there is nothing to report: no earlier invocation, or the same flow file (sha256).
 */
export function compareFinishedSteps(
  previous: RunRecord | null,
  sha256: string | undefined,
  records: readonly StepRecord[],
  jobs: readonly RunnerJob[],
): FlowChange | null {
  if (!previous || !previous.flowSha256 || !sha256 || previous.flowSha256 === sha256) return null;
  const finished = new Map<string, StepRecord>();
  for (const rec of records) {
    if (rec.status === STATUS.SUCCESS || rec.status === STATUS.SKIPPED) {
      finished.set(_key(rec.jobId, rec.stepId), rec);
    }
  }
  const change: FlowChange = {
    runId: previous.runId,
    previousSha256: previous.flowSha256,
    sha256,
    changed: [],
    removed: [],
    unknown: [],
  };
  const current = new Set<string>();
  for (const job of jobs) {
    for (const step of job.steps) {
      const key = _key(job.id, step.id);
      current.add(key);
      const rec = finished.get(key);
      if (!rec) continue;
      if (rec.definitionSha256 === null) change.unknown.push(key);
      else if (rec.definitionSha256 !== stepDefinitionSha256(step)) change.changed.push(key);
    }
  }
  for (const key of finished.keys()) if (!current.has(key)) change.removed.push(key);
  return change;
}

/**
 * The WARNING a resume logs (one line, stable for grep): `Flow changed since run <id> was last started
 * (flow_sha256 <old> -> <new>): finished steps reused with their old outputs although their definition changed:
 * <job.step, …|none>`, then `; finished steps no longer in the flow: …` and `; finished steps whose definition
 * was not recorded: …` when there are any.
 */
export function flowChangeMessage(change: FlowChange): string {
  const list = (names: string[]) => (names.length > 0 ? names.join(", ") : "none");
  let message =
    `Flow changed since run ${change.runId} was last started (flow_sha256 ${
      _short(change.previousSha256)
    } -> ${_short(change.sha256)}): finished steps reused with their old outputs although their definition ` +
    `changed: ${list(change.changed)}`;
  if (change.removed.length > 0) message += `; finished steps no longer in the flow: ${list(change.removed)}`;
  if (change.unknown.length > 0) {
    message += `; finished steps whose definition was not recorded: ${list(change.unknown)}`;
  }
  return message;
}

function _key(jobId: string, stepId: string): string {
  return `${jobId}.${stepId}`;
}

function _short(sha: string): string {
  return sha.slice(0, 12);
}
