// `aetherflow runs list|show|diff|logs|prune` (docs/cli.md "Run history"): what ran, with what, and what
// changed since. The logic lives in engine/history; this file parses options and prints.
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { EXIT, UsageError } from "../engine/errors.ts";
import type { JsonValue } from "../engine/types.ts";
import type { RunRecord, StateBackend } from "../engine/state/mod.ts";
import type { JobView, RunView } from "../engine/history/run_view.ts";
import type { Change } from "../engine/history/run_diff.ts";
import { setExitCode } from "./_exit.ts";
import { printJson } from "./_json.ts";
import { DB_OPTION, FLOW_OPTION, openState, resolveStateTarget, type StateTarget } from "./_state_target.ts";
import { formatDuration, formatTable, formatTime, indent } from "./_table.ts";
import { parseAge } from "../engine/history/age.ts";

const _DEFAULT_LIMIT = 20;
const _STATUSES = ["RUNNING", "SUCCESS", "FAILED"] as const;

type _StateOpts = { flow?: string; db?: string };

function _target(flowArg: string | undefined, opts: _StateOpts): Promise<StateTarget> {
  return resolveStateTarget({ flow: flowArg, flowOption: opts.flow, db: opts.db });
}

export function registerRuns(program: Command): void {
  const runs = program.command("runs").description("Run history: list, show, diff, logs and prune runs");
  registerRunsList(runs, "list");
  registerRunsShow(runs, "show");
  runs.command("diff")
    .description("What changed between two runs, or between a run and today's flow")
    .argument("<run_id>", "the run to explain")
    .argument("[flow_yaml]", "the flow whose state.path to read")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--against <run_id>", "compare with this run (default: the previous run of the same flow)")
    .option("--against-current <flow_yaml>", "compare with today's flow file, plugins, settings and env")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Changes are causes, not outcomes: flow file hash, binary version, plugins (version, sha256), bundle, env keys
the flow references (masked; two secrets cannot be compared), settings, and each step's resolved inputs.

Examples:
  aetherflow runs diff 6707262abe32 flows/daily.yaml                  # against the previous run
  aetherflow runs diff nightly-2 --against nightly-1 --db state/af.db
  aetherflow runs diff nightly-2 --against-current flows/daily.yaml`,
    )
    .action(async (runId, flowArg, opts) => await _diff(runId, flowArg, opts));
  runs.command("logs")
    .description("Print a run's log lines (kept per run, masked)")
    .argument("<run_id>", "the run")
    .argument("[flow_yaml]", "the flow whose state.path to read")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--job <job_id>", "only lines of this job")
    .option("--step <step_id>", "only lines of this step")
    .option("--follow", "keep printing new lines until the run ends")
    .option("--json", "print the stored JSON lines (one object per line)")
    .addHelpText(
      "after",
      `
Examples:
  aetherflow runs logs 6707262abe32 flows/daily.yaml
  aetherflow runs logs nightly-2 --db state/af.db --job load --follow`,
    )
    .action(async (runId, flowArg, opts) => await _logs(runId, flowArg, opts));
  runs.command("prune")
    .description("Delete old runs: state rows, job directories and run logs, consistently")
    .argument("[flow_yaml]", "the flow whose state.path to prune")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--older-than <age>", "runs that ended longer ago than this: <n>d, h, m, s or w", "30d")
    .option("--keep-failed", "keep FAILED runs whatever their age")
    .option("--dry-run", "print what would be deleted, delete nothing")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Running runs are never pruned (a RUNNING run whose owner is gone is). The default age is 30d.

Examples:
  aetherflow runs prune flows/daily.yaml --dry-run
  aetherflow runs prune --db state/af.db --older-than 7d --keep-failed`,
    )
    .action(async (flowArg, opts) => await _prune(flowArg, opts));
}

/** `runs list` (and its alias `state runs`). */
export function registerRunsList(parent: Command, name: string, options: { hidden?: boolean } = {}): void {
  parent.command(name, { hidden: options.hidden })
    .description("List runs, newest first")
    .argument("[flow_yaml]", "the flow whose state.path to read (and whose runs to list)")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--flow-id <id>", "only runs of this flow id (default with a flow: its id)")
    .option("--all-flows", "with a flow: list every flow's runs in its database")
    .option("--status <status>", `only runs with this status (${_STATUSES.join(", ")})`, _parseStatus)
    .option(
      "--since <when>",
      "only runs started since: an age (7d, 12h, 30m) or an ISO date/time",
      _parseSince,
    )
    .option("--limit <n>", `at most this many runs (default ${_DEFAULT_LIMIT}; 0 = all)`, _parseLimit)
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Examples:
  aetherflow runs list flows/daily.yaml
  aetherflow runs list --db state/af.db --status FAILED --since 7d --json`,
    )
    .action(async (flowArg, opts) => {
      const target = await _target(flowArg, opts);
      await using store = await openState(target.state);
      const limit = opts.limit ?? _DEFAULT_LIMIT;
      const flowId = opts.flowId ?? (opts.allFlows ? undefined : target.flowId);
      const { runSummaryJson } = await import("../engine/history/run_view.ts");
      const records = await store.listRuns({
        limit: limit === 0 ? undefined : limit,
        flowId,
        status: opts.status,
        sinceSeconds: opts.since === undefined ? undefined : opts.since(Date.now()) / 1000,
      });
      const locks = records.some((r) => r.status === "RUNNING") ? await store.listLocks() : [];
      const runs = records.map((r) => runSummaryJson(r, locks));
      if (opts.json) return printJson({ state: store.path, runs });
      if (runs.length === 0) return console.log("No runs recorded");
      console.log(formatTable(
        ["RUN_ID", "FLOW_ID", "STATUS", "EXIT", "STARTED", "DURATION", "INVOCATIONS"],
        runs.map((r) => [
          String(r.run_id),
          String(r.flow_id),
          r.stale ? `${r.status} (stale)` : String(r.status),
          r.exit_code === null ? "-" : String(r.exit_code),
          formatTime(r.started_at as string | null),
          formatDuration(r.duration_ms as number | null),
          String(r.invocations),
        ]),
      ));
    });
}

/** `runs show` (and its alias `state show`). */
export function registerRunsShow(parent: Command, name: string, options: { hidden?: boolean } = {}): void {
  parent.command(name, { hidden: options.hidden })
    .description("Show one run: record, jobs, steps, durations, inputs/outputs (masked), failure")
    .argument("<run_id>", "the run")
    .argument("[flow_yaml]", "the flow whose state.path to read")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--json", "print one JSON object")
    .option("--html <file>", "write a self-contained HTML timeline of the run to this file")
    .addHelpText(
      "after",
      `
Examples:
  aetherflow runs show 6707262abe32 flows/daily.yaml
  aetherflow runs show nightly-2 --db state/af.db --json
  aetherflow runs show nightly-2 flows/daily.yaml --html /tmp/nightly-2.html`,
    )
    .action(async (runId, flowArg, opts) => {
      const target = await _target(flowArg, opts);
      await using store = await openState(target.state);
      const view = await _loadView(store, runId);
      if (opts.html !== undefined) {
        const { renderTimelineHtml } = await import("../engine/history/timeline_html.ts");
        await Deno.writeTextFile(opts.html, renderTimelineHtml(view));
        if (!opts.json) console.log(`wrote ${opts.html}`);
      }
      if (opts.json) {
        return printJson({
          state: store.path,
          ...(opts.html !== undefined ? { html: opts.html } : {}),
          run_id: view.run_id,
          run: view.run,
          jobs: view.jobs as unknown as JsonValue,
        });
      }
      if (opts.html === undefined) console.log(_showText(view));
    });
}

async function _loadView(store: StateBackend, runId: string): Promise<RunView> {
  const { loadRunView } = await import("../engine/history/run_view.ts");
  const view = await loadRunView(store, runId);
  if (view === null) {
    throw new UsageError(`Unknown run id: ${runId} (no run record, job or step rows in ${store.path})`, {
      code: "usage:unknown_run",
      loc: "RUN_ID",
    });
  }
  return view;
}

function _json(v: JsonValue | undefined): string {
  return v === null || v === undefined ? "-" : JSON.stringify(v);
}

function _showText(view: RunView): string {
  const out: string[] = [];
  const run = view.run;
  if (run === null) {
    out.push(`Run ${view.run_id}: no run record (written by an older version)`);
  } else {
    out.push(`Run ${view.run_id}`);
    const plugins = run.plugins as { name: string; version: string; sha256: string }[];
    const fields: [string, string][] = [
      ["flow_id", String(run.flow_id)],
      ["status", run.stale ? `${run.status} (stale: no live process owns it)` : String(run.status)],
      ["exit_code", run.exit_code === null ? "-" : String(run.exit_code)],
      ["started_at", formatTime(run.started_at as string | null)],
      ["ended_at", formatTime(run.ended_at as string | null)],
      ["duration", formatDuration(run.duration_ms as number | null)],
      ["invocations", String(run.invocations)],
      ["flow_yaml", String(run.flow_yaml ?? "-")],
      ["flow_sha256", String(run.flow_sha256 ?? "-")],
      ["version", String(run.version ?? "-")],
      ["host", String(run.host ?? "-")],
      ["pid", run.pid === null ? "-" : String(run.pid)],
      [
        "plugins",
        plugins.length === 0
          ? "-"
          : plugins.map((p) => `${p.name}@${p.version} sha256:${p.sha256}`).join(", "),
      ],
      ["bundle", _json(run.bundle)],
      ["workspace_root", String(run.workspace_root ?? "-")],
      ["log", String(run.log_path ?? "-")],
      ["env", _json(run.env)],
      ["settings", _json(run.settings)],
      ["error", String(run.error ?? "-")],
    ];
    for (const [k, v] of fields) out.push(`  ${k}: ${v}`);
  }
  out.push("", "Jobs:");
  if (view.jobs.length === 0) out.push("  (none)");
  for (const job of view.jobs) out.push(indent(_jobText(job)));
  return out.join("\n");
}

function _jobText(job: JobView): string {
  const lines = [`${job.job_id}  ${job.status}  ${formatDuration(job.duration_ms)}${_jobDetail(job)}`];
  if (job.outputs !== null && Object.keys(job.outputs).length > 0) {
    lines.push(`  outputs: ${_json(job.outputs)}`);
  }
  if (job.steps.length > 0) {
    lines.push(indent(formatTable(
      ["STEP_ID", "TYPE", "STATUS", "DURATION", "INPUTS", "OUTPUT"],
      job.steps.map((s) => [
        s.step_id,
        s.step_type ?? "-",
        s.resumed ? `${s.status} (resumed)` : s.status,
        formatDuration(s.duration_ms),
        _clip(_json(s.inputs)),
        _clip(_json(s.output)),
      ]),
    )));
  }
  return lines.join("\n");
}

function _clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function _jobDetail(j: JobView): string {
  if (j.error !== null) return `  error: ${j.error.split("\n")[0]}`;
  if (j.skip_reason !== null) {
    return `  skip_reason: ${j.skip_reason}${j.skip_trigger ? ` (${j.skip_trigger})` : ""}`;
  }
  return "";
}

// ---- diff ----

async function _diff(
  runId: string,
  flowArg: string | undefined,
  opts: _StateOpts & { against?: string; againstCurrent?: string; json?: boolean },
): Promise<void> {
  if (opts.against !== undefined && opts.againstCurrent !== undefined) {
    throw new UsageError("give either --against or --against-current, not both", { loc: "--against" });
  }
  const target = await _target(flowArg ?? (opts.db === undefined ? opts.againstCurrent : undefined), opts);
  await using store = await openState(target.state);
  const { runSide, diffRuns } = await import("../engine/history/run_diff.ts");
  const run = await store.getRun(runId);
  if (run === null) {
    throw new UsageError(`Unknown run id: ${runId} (no run record in ${store.path})`, {
      code: "usage:unknown_run",
      loc: "RUN_ID",
    });
  }
  const side = runSide(run, await store.listStepRecords(runId));
  let changes: Change[];
  let against: Record<string, JsonValue>;
  if (opts.againstCurrent !== undefined) {
    const { currentSide } = await import("./_current_side.ts");
    const current = await currentSide(opts.againstCurrent);
    changes = diffRuns(side, current.side);
    against = { flow_yaml: current.flowYaml };
  } else {
    const other = opts.against !== undefined
      ? await store.getRun(opts.against)
      : await _previousRun(store, run);
    if (other === null) {
      if (opts.against !== undefined) {
        throw new UsageError(
          `Unknown run id for --against: ${opts.against} (no run record in ${store.path})`,
          {
            code: "usage:unknown_run",
            loc: "--against",
          },
        );
      }
      throw new UsageError(
        `Run ${runId} has no earlier run of flow '${run.flowId}' to compare with; use --against`,
        {
          code: "usage:no_previous_run",
          loc: "--against",
        },
      );
    }
    changes = diffRuns(runSide(other, await store.listStepRecords(other.runId)), side);
    against = { run_id: other.runId, status: other.status };
  }
  if (opts.json) {
    return printJson({
      state: store.path,
      run_id: runId,
      status: run.status,
      against,
      changes: changes as unknown as JsonValue,
    });
  }
  const what = against.run_id !== undefined
    ? `run ${against.run_id} (${against.status}) -> run ${runId} (${run.status})`
    : `run ${runId} (${run.status}) -> today's ${against.flow_yaml}`;
  console.log(what);
  if (changes.length === 0) {
    console.log("No changes in flow, version, plugins, bundle, env keys, settings or step inputs");
    return;
  }
  for (const c of changes) {
    const none = c.kind === "env" ? "(unset)" : "(none)";
    console.log(`  ${c.kind} ${c.key}: ${_val(c.before, none)} -> ${_val(c.after, none)}`);
  }
  console.log(`${changes.length} change${changes.length === 1 ? "" : "s"}`);
}

function _val(v: JsonValue, none: string): string {
  return v === null ? none : JSON.stringify(v);
}

async function _previousRun(store: StateBackend, run: RunRecord): Promise<RunRecord | null> {
  const runs = await store.listRuns({ flowId: run.flowId });
  const i = runs.findIndex((r) => r.runId === run.runId);
  return i >= 0 ? runs[i + 1] ?? null : null;
}

// ---- logs ----

async function _logs(
  runId: string,
  flowArg: string | undefined,
  opts: _StateOpts & { job?: string; step?: string; follow?: boolean; json?: boolean },
): Promise<void> {
  const target = await _target(flowArg, opts);
  await using store = await openState(target.state);
  const run = await store.getRun(runId);
  if (run === null) {
    throw new UsageError(`Unknown run id: ${runId} (no run record in ${store.path})`, {
      code: "usage:unknown_run",
      loc: "RUN_ID",
    });
  }
  if (run.logPath === null) {
    throw new UsageError(`Run ${runId} has no run log (recorded before logs were kept, or in-memory state)`, {
      code: "usage:no_run_log",
      loc: "RUN_ID",
    });
  }
  const { RunLogReader, formatRecordText } = await import("../engine/observe/mod.ts");
  const reader = new RunLogReader(run.logPath);
  const print = (records: Awaited<ReturnType<typeof reader.next>>) => {
    for (const r of records ?? []) {
      if (opts.job !== undefined && r.job_id !== opts.job) continue;
      if (opts.step !== undefined && r.step_id !== opts.step) continue;
      console.log(opts.json ? JSON.stringify(r) : formatRecordText(r));
    }
  };
  const first = await reader.next();
  if (first === null && !opts.follow) {
    throw new UsageError(`Run log of ${runId} not found: ${run.logPath}`, {
      code: "usage:no_run_log",
      loc: "RUN_ID",
    });
  }
  print(first);
  if (!opts.follow) return;
  const { isStaleRun } = await import("../engine/history/run_view.ts");
  // Follow until the run is no longer running (or nobody runs it any more), then print what is left.
  while (true) {
    const now = await store.getRun(runId);
    const running = now !== null && now.status === "RUNNING" && !isStaleRun(now, await store.listLocks());
    print(await reader.next());
    if (!running) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  print(await reader.next());
}

// ---- prune ----

async function _prune(
  flowArg: string | undefined,
  opts: _StateOpts & { olderThan: string; keepFailed?: boolean; dryRun?: boolean; json?: boolean },
): Promise<void> {
  const { planPrune, applyPrune } = await import("../engine/history/prune.ts");
  const age = parseAge(opts.olderThan);
  if (age === null) {
    throw new UsageError(
      `Invalid --older-than ${JSON.stringify(opts.olderThan)}: use <n>d, <n>h, <n>m, <n>s or <n>w`,
      {
        loc: "--older-than",
      },
    );
  }
  const target = await _target(flowArg, opts);
  await using store = await openState(target.state, { write: opts.dryRun !== true });
  const cutoffMs = Date.now() - age;
  const plan = await planPrune(store, { cutoffMs, keepFailed: opts.keepFailed === true });
  const results = opts.dryRun ? [] : await applyPrune(store, plan);
  const failed = results.filter((r) => r.error !== undefined);
  const runs = plan.runs.map((c) => {
    const r = results.find((x) => x.runId === c.runId);
    return {
      run_id: c.runId,
      flow_id: c.flowId,
      status: c.status,
      last_at: new Date(c.lastAtMs).toISOString(),
      last_at_ms: c.lastAtMs,
      dirs: c.dirs,
      log_path: c.logPath,
      deleted: r !== undefined && r.error === undefined,
      rows: r?.rows ?? 0,
      ...(r?.error !== undefined ? { error: r.error } : {}),
    };
  });
  if (failed.length > 0) setExitCode(EXIT.FAILED);
  if (opts.json) {
    return printJson({
      state: store.path,
      dry_run: opts.dryRun === true,
      older_than: opts.olderThan,
      cutoff: new Date(cutoffMs).toISOString(),
      cutoff_ms: cutoffMs,
      runs,
      skipped: plan.skipped.map((s) => ({ run_id: s.runId, reason: s.reason })),
    }, failed.length === 0);
  }
  const verb = opts.dryRun ? "would delete" : "deleted";
  for (const r of runs) {
    const what = `${r.run_id} (${r.flow_id ?? "no run record"}, ${r.status ?? "-"}, ended ${
      formatTime(r.last_at)
    })`;
    if (r.error !== undefined) console.log(`FAILED ${what}: ${r.error}`);
    else console.log(`${verb} ${what}: ${r.dirs.length} job dir(s)${r.log_path ? ", run log" : ""}`);
  }
  for (const s of plan.skipped) console.log(`kept ${s.runId}: ${s.reason}`);
  console.log(
    `${
      runs.length - failed.length
    } run(s) ${verb}, ${plan.skipped.length} kept, older than ${opts.olderThan}`,
  );
}

// ---- option parsers ----

function _parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("must be a non-negative integer");
  }
  return n;
}

function _parseStatus(value: string): string {
  const up = value.trim().toUpperCase();
  if (!(_STATUSES as readonly string[]).includes(up)) {
    throw new InvalidArgumentError(`must be one of ${_STATUSES.join(", ")}`);
  }
  return up;
}

/** An age (`7d`) or an instant (ISO 8601); returns epoch ms as a function of now. */
function _parseSince(value: string): (now: number) => number {
  const age = parseAge(value);
  if (age !== null) return (now) => now - age;
  const t = /^\s*\d+\s*$/.test(value) ? Number.NaN : Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError("must be an age (7d, 12h, 30m) or an ISO date/time");
  return () => t;
}
