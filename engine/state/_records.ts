// Rows -> records, and the value conversions both stores apply when writing (docs/state.md "Tables"): the column
// names are the same in the SQLite file and the PostgreSQL database.
import { parseJsonObject } from "./_tx.ts";
import type { LockRow } from "./admin.ts";
import type { JobRecord, PluginRecord, ProcessGroupRecord, RunRecord, StepRecord } from "./types.ts";

/** A result row of either driver. */
export type Row = Record<string, unknown>;

/** A column as text or null. */
export function textOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : String(v);
}

/** A column as a number or null. */
export function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : Number(v);
}

/** An epoch value to write: integer, or null when absent or not finite. */
export function intOrNull(v: number | null | undefined): number | null {
  return v === undefined || v === null || !Number.isFinite(v) ? null : Math.trunc(v);
}

/** A text value to write, masked (D18); null stays null. */
export function maskText(v: string | null | undefined, mask: (s: string) => string): string | null {
  return v === undefined || v === null ? null : mask(v);
}

export function lockRow(r: Row): LockRow {
  return {
    key: String(r.key),
    owner: String(r.owner),
    host: textOrNull(r.host),
    pid: numOrNull(r.pid),
    expiresAt: Number(r.expires_at),
  };
}

export function jobRecord(r: Row): JobRecord {
  return {
    jobId: String(r.job_id),
    runId: String(r.run_id),
    status: String(r.status),
    outputs: parseJsonObject(textOrNull(r.outputs_json), "job_runs.outputs_json"),
    skipReason: textOrNull(r.skip_reason),
    skipTrigger: textOrNull(r.skip_trigger),
    error: textOrNull(r.error),
    updatedAt: Number(r.updated_at),
    startedAtMs: numOrNull(r.started_at_ms),
    endedAtMs: numOrNull(r.ended_at_ms),
  };
}

export function stepRecord(r: Row): StepRecord {
  return {
    jobId: String(r.job_id),
    runId: String(r.run_id),
    stepId: String(r.step_id),
    status: String(r.status),
    output: parseJsonObject(textOrNull(r.output_json), "step_runs.output_json"),
    promoted: parseJsonObject(textOrNull(r.promoted_json), "step_runs.promoted_json"),
    updatedAt: Number(r.updated_at),
    stepType: textOrNull(r.step_type),
    inputs: parseJsonObject(textOrNull(r.inputs_json), "step_runs.inputs_json"),
    startedAtMs: numOrNull(r.started_at_ms),
    endedAtMs: numOrNull(r.ended_at_ms),
    definitionSha256: textOrNull(r.definition_sha256),
  };
}

export function runRecord(r: Row): RunRecord {
  const plugins = textOrNull(r.plugins_json);
  return {
    runId: String(r.run_id),
    flowId: String(r.flow_id),
    flowYaml: textOrNull(r.flow_yaml),
    flowSha256: textOrNull(r.flow_sha256),
    version: textOrNull(r.version),
    status: String(r.status) as RunRecord["status"],
    startedAt: Number(r.started_at),
    endedAt: numOrNull(r.ended_at),
    exitCode: numOrNull(r.exit_code),
    invocations: Number(r.invocations),
    host: textOrNull(r.host),
    pid: numOrNull(r.pid),
    plugins: plugins === null ? [] : JSON.parse(plugins) as PluginRecord[],
    bundle: parseJsonObject(textOrNull(r.bundle_json), "runs.bundle_json"),
    error: textOrNull(r.error),
    startedAtMs: numOrNull(r.started_at_ms),
    invokedAtMs: numOrNull(r.invoked_at_ms),
    endedAtMs: numOrNull(r.ended_at_ms),
    env: parseJsonObject(textOrNull(r.env_json), "runs.env_json") as Record<string, string | null> | null,
    settings: parseJsonObject(textOrNull(r.settings_json), "runs.settings_json"),
    workspaceRoot: textOrNull(r.workspace_root),
    logPath: textOrNull(r.log_path),
  };
}

export function processGroupRecord(r: Row): ProcessGroupRecord {
  return {
    runId: String(r.run_id),
    jobId: String(r.job_id),
    stepId: String(r.step_id),
    host: String(r.host),
    pgid: Number(r.pgid),
    startTicks: numOrNull(r.start_ticks),
    bootId: textOrNull(r.boot_id),
    runnerPid: Number(r.runner_pid),
    graceMs: Number(r.grace_ms),
    startedAtMs: Number(r.started_at_ms),
  };
}
