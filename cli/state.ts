// `aetherflow state runs|show` — inspect a state database (core.md §6). The db path is explicit (`--db`), so
// inspection never needs a flow file; the database is opened read-only and never created or migrated.
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { UsageError } from "../engine/errors.ts";
import { type JobRecord, type RunRecord, StateStore, type StepRecord } from "../engine/state/mod.ts";
import type { JsonValue } from "../engine/types.ts";

const _DEFAULT_LIMIT = 20;

export function registerState(program: Command): void {
  const state = program.command("state").description("Inspect a state database (runs, job and step rows)");
  state
    .command("runs")
    .description("List run records, newest first")
    .requiredOption("--db <path>", "state database file")
    .option("--json", "print JSON")
    .option("--limit <n>", `at most this many runs (default ${_DEFAULT_LIMIT}; 0 = all)`, _parseLimit)
    .option("--flow-id <id>", "only runs of this flow")
    .action((opts) => {
      using store = _open(opts.db);
      const limit = opts.limit ?? _DEFAULT_LIMIT;
      const runs = store.listRuns({ limit: limit === 0 ? undefined : limit, flowId: opts.flowId });
      if (opts.json) return _print(JSON.stringify(runs.map(_runJson), null, 2));
      if (runs.length === 0) return _print("No runs recorded");
      _print(_table(
        ["RUN_ID", "FLOW_ID", "STATUS", "EXIT", "STARTED", "ENDED", "INVOCATIONS"],
        runs.map((r) => [
          r.runId,
          r.flowId,
          r.status,
          r.exitCode === null ? "-" : String(r.exitCode),
          _time(r.startedAt),
          _time(r.endedAt),
          String(r.invocations),
        ]),
      ));
    });
  state
    .command("show")
    .description("Show one run: its record, job rows and step rows")
    .argument("<RUN_ID>", "run id")
    .requiredOption("--db <path>", "state database file")
    .option("--json", "print JSON")
    .action((runId, opts) => {
      using store = _open(opts.db);
      const run = store.getRun(runId);
      const jobs = store.listJobRecords(runId);
      const steps = store.listStepRecords(runId);
      if (run === null && jobs.length === 0 && steps.length === 0) {
        throw new UsageError(`Unknown run id: ${runId} (no run record, job or step rows in ${store.path})`);
      }
      if (opts.json) {
        return _print(JSON.stringify(
          { run: run && _runJson(run), jobs: jobs.map(_jobJson), steps: steps.map(_stepJson) },
          null,
          2,
        ));
      }
      _print(_showText(runId, run, jobs, steps));
    });
}

function _parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("must be a non-negative integer");
  }
  return n;
}

/** A missing file is a usage error (exit 2): inspection must not create an empty database. */
function _open(db: string): StateStore {
  const path = resolve(db);
  let isFile: boolean;
  try {
    isFile = Deno.statSync(path).isFile;
  } catch {
    throw new UsageError(`State database not found: ${path}`);
  }
  if (!isFile) throw new UsageError(`State database is not a regular file: ${path}`);
  return StateStore.open(path, { readOnly: true });
}

function _print(text: string): void {
  console.log(text);
}

function _time(seconds: number | null): string {
  if (seconds === null) return "-";
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function _json(v: JsonValue | null): string {
  return v === null ? "-" : JSON.stringify(v);
}

function _table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function _showText(runId: string, run: RunRecord | null, jobs: JobRecord[], steps: StepRecord[]): string {
  const out: string[] = [];
  if (run === null) {
    out.push(`Run ${runId}: no run record (written by an older version)`);
  } else {
    out.push(`Run ${run.runId}`);
    const fields: [string, string][] = [
      ["flow_id", run.flowId],
      ["status", run.status],
      ["exit_code", run.exitCode === null ? "-" : String(run.exitCode)],
      ["started_at", _time(run.startedAt)],
      ["ended_at", _time(run.endedAt)],
      ["invocations", String(run.invocations)],
      ["flow_yaml", run.flowYaml ?? "-"],
      ["flow_sha256", run.flowSha256 ?? "-"],
      ["version", run.version ?? "-"],
      ["host", run.host ?? "-"],
      ["pid", run.pid === null ? "-" : String(run.pid)],
      [
        "plugins",
        run.plugins.length === 0 ? "-" : run.plugins.map((p) => `${p.name}@${p.version}`).join(", "),
      ],
      ["bundle", _json(run.bundle)],
      ["error", run.error ?? "-"],
    ];
    for (const [k, v] of fields) out.push(`  ${k}: ${v}`);
  }
  out.push("", "Jobs:");
  out.push(
    jobs.length === 0 ? "  (none)" : _indent(_table(
      ["JOB_ID", "STATUS", "UPDATED", "OUTPUTS", "DETAIL"],
      jobs.map((j) => [j.jobId, j.status, _time(j.updatedAt), _json(j.outputs), _jobDetail(j)]),
    )),
  );
  out.push("", "Steps:");
  out.push(
    steps.length === 0 ? "  (none)" : _indent(_table(
      ["JOB_ID", "STEP_ID", "STATUS", "UPDATED", "OUTPUT", "PROMOTED"],
      steps.map((s) => [s.jobId, s.stepId, s.status, _time(s.updatedAt), _json(s.output), _json(s.promoted)]),
    )),
  );
  return out.join("\n");
}

function _jobDetail(j: JobRecord): string {
  if (j.error !== null) return `error: ${j.error.split("\n")[0]}`;
  if (j.skipReason !== null) {
    return `skip_reason: ${j.skipReason}${j.skipTrigger ? ` (${j.skipTrigger})` : ""}`;
  }
  return "";
}

function _indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}

// JSON output uses the database's column names, so it reads like the SQL recipes (D14).
function _runJson(r: RunRecord) {
  return {
    run_id: r.runId,
    flow_id: r.flowId,
    status: r.status,
    exit_code: r.exitCode,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    invocations: r.invocations,
    flow_yaml: r.flowYaml,
    flow_sha256: r.flowSha256,
    version: r.version,
    host: r.host,
    pid: r.pid,
    plugins: r.plugins,
    bundle: r.bundle,
    error: r.error,
  };
}

function _jobJson(j: JobRecord) {
  return {
    job_id: j.jobId,
    run_id: j.runId,
    status: j.status,
    updated_at: j.updatedAt,
    outputs: j.outputs,
    skip_reason: j.skipReason,
    skip_trigger: j.skipTrigger,
    error: j.error,
  };
}

function _stepJson(s: StepRecord) {
  return {
    job_id: s.jobId,
    run_id: s.runId,
    step_id: s.stepId,
    status: s.status,
    updated_at: s.updatedAt,
    output: s.output,
    promoted: s.promoted,
  };
}
