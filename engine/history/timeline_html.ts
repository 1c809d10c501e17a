/**
 * `runs show --html FILE` (docs/cli.md "runs show"): one self-contained page — inline CSS, no script, no
 * network — with the run's timeline: jobs and steps as bars on a time axis of the latest invocation, status
 * colours, durations, steps restored by resume, and the failure message.
 * @module
 */
import type { JobView, RunView, StepView } from "./run_view.ts";

const _COLORS: Readonly<Record<string, string>> = {
  SUCCESS: "#2e9d4f",
  SKIPPED: "#8a94a6",
  FAILED: "#d63b3b",
  BLOCKED: "#e0962b",
  RUNNING: "#2f74d0",
  UNKNOWN: "#b0b0b0",
};

function _esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function _color(status: string): string {
  return _COLORS[status] ?? _COLORS.UNKNOWN!;
}

function _dur(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

interface _Axis {
  start: number;
  end: number;
}

/** The axis spans the latest invocation: from its start to the last end seen (or the run's end). */
function _axis(view: RunView): _Axis {
  const invoked = (view.run?.invoked_at_ms ?? view.run?.started_at_ms ?? null) as number | null;
  const times: number[] = [];
  for (const j of view.jobs) {
    for (const t of [j.started_at_ms, j.ended_at_ms]) if (t !== null) times.push(t);
    for (const s of j.steps) {
      if (s.resumed) continue;
      for (const t of [s.started_at_ms, s.ended_at_ms]) if (t !== null) times.push(t);
    }
  }
  const runEnd = (view.run?.ended_at_ms ?? null) as number | null;
  if (runEnd !== null) times.push(runEnd);
  const start = invoked ?? (times.length > 0 ? Math.min(...times) : 0);
  const end = Math.max(start + 1, ...times.filter((t) => t >= start));
  return { start, end };
}

function _pct(axis: _Axis, t: number): number {
  return Math.min(100, Math.max(0, ((t - axis.start) / (axis.end - axis.start)) * 100));
}

function _bar(axis: _Axis, opts: {
  kind: "job" | "step";
  id: string;
  status: string;
  start: number | null;
  end: number | null;
  resumed?: boolean;
}): string {
  const attrs = `data-kind="${opts.kind}" data-id="${_esc(opts.id)}" data-status="${_esc(opts.status)}"`;
  if (opts.resumed) {
    return `<div class="track"><div class="bar resumed" ${attrs} data-resumed="true" ` +
      `title="restored from an earlier invocation" style="left:0;width:100%"></div></div>`;
  }
  if (opts.end === null && opts.start === null) {
    return `<div class="track"><span class="nobar">not run</span></div>`;
  }
  const from = _pct(axis, opts.start ?? opts.end!);
  const to = _pct(axis, opts.end ?? axis.end);
  const width = Math.max(0.6, to - from);
  return `<div class="track"><div class="bar" ${attrs} style="left:${from.toFixed(3)}%;width:${
    width.toFixed(3)
  }%;` +
    `background:${_color(opts.status)}"></div></div>`;
}

function _stepRow(axis: _Axis, jobId: string, s: StepView): string {
  const label = `${_esc(s.step_id)} <span class="type">${_esc(s.step_type ?? "")}</span>`;
  const note = s.resumed ? "resumed" : _dur(s.duration_ms);
  return `<div class="row step"><div class="label">${label}</div>` +
    _bar(axis, {
      kind: "step",
      id: `${jobId}/${s.step_id}`,
      status: s.status,
      start: s.started_at_ms,
      end: s.ended_at_ms,
      resumed: s.resumed,
    }) +
    `<div class="note"><span class="status" style="color:${_color(s.status)}">${_esc(s.status)}</span> ` +
    `${_esc(note)}</div></div>`;
}

function _jobRows(axis: _Axis, j: JobView): string {
  const why = j.error ?? j.skip_reason;
  const rows = [
    `<div class="row job"><div class="label">${_esc(j.job_id)}</div>` +
    _bar(axis, { kind: "job", id: j.job_id, status: j.status, start: j.started_at_ms, end: j.ended_at_ms }) +
    `<div class="note"><span class="status" style="color:${_color(j.status)}">${_esc(j.status)}</span> ` +
    `${_esc(_dur(j.duration_ms))}</div></div>`,
    ...j.steps.map((s) => _stepRow(axis, j.job_id, s)),
  ];
  if (why !== null) {
    const cls = j.error !== null ? "error" : "reason";
    rows.push(`<div class="${cls}" data-job="${_esc(j.job_id)}">${_esc(why)}</div>`);
  }
  return `<section class="job-block">${rows.join("\n")}</section>`;
}

function _ticks(axis: _Axis): string {
  const span = axis.end - axis.start;
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    out.push(`<span style="left:${i * 25}%">+${_esc(_dur(Math.round((span * i) / 4)) || "0 ms")}</span>`);
  }
  return `<div class="row axis"><div class="label"></div><div class="track ticks">${out.join("")}</div>` +
    `<div class="note"></div></div>`;
}

/** The page (a complete HTML document). Every value shown comes from state, where it is already masked. */
export function renderTimelineHtml(view: RunView): string {
  const run = view.run;
  const axis = _axis(view);
  const status = String(run?.status ?? "UNKNOWN");
  const facts: [string, string][] = run === null ? [["run record", "none (older version)"]] : [
    ["flow", String(run.flow_id)],
    ["status", status + (run.stale ? " (stale)" : "")],
    ["exit code", run.exit_code === null ? "-" : String(run.exit_code)],
    ["started", String(run.started_at ?? "-")],
    ["latest invocation", String(run.invoked_at ?? "-")],
    ["ended", String(run.ended_at ?? "-")],
    ["duration", _dur(run.duration_ms as number | null) || "-"],
    ["invocations", String(run.invocations)],
    ["version", String(run.version ?? "-")],
    ["flow sha256", String(run.flow_sha256 ?? "-")],
    [
      "plugins",
      (run.plugins as { name: string; version: string }[]).map((p) => `${p.name}@${p.version}`).join(", ") ||
      "-",
    ],
  ];
  const legend = Object.entries(_COLORS).map(([s, c]) => `<span><i style="background:${c}"></i>${s}</span>`)
    .join("") + `<span><i class="resumed"></i>restored by resume</span>`;
  const runError = run?.error ? `<div class="error run-error">${_esc(String(run.error))}</div>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Run ${_esc(view.run_id)} · aetherflow</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 4px}
h1 .badge{font-size:13px;color:#fff;padding:2px 8px;border-radius:10px;vertical-align:middle}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0 16px}
dt{color:#5b6577}dd{margin:0;word-break:break-all}
.legend span{margin-right:14px;font-size:12px;color:#5b6577}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.timeline{border-top:1px solid #e3e6ec;margin-top:12px}
.row{display:grid;grid-template-columns:220px 1fr 140px;align-items:center;min-height:24px}
.row.job{font-weight:600;border-top:1px solid #eef0f4}
.row.step .label{padding-left:16px;font-weight:400}
.label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;padding-right:8px}
.type{color:#8a94a6;font-size:12px}
.track{position:relative;height:16px;background:#f5f6f8;border-radius:3px}
.bar{position:absolute;top:2px;bottom:2px;border-radius:3px;min-width:3px}
.bar.resumed,.legend i.resumed{background:repeating-linear-gradient(45deg,#c9ced8 0 4px,#eef0f4 4px 8px)}
.nobar{font-size:11px;color:#8a94a6;padding-left:4px}
.note{padding-left:8px;font-size:12px;white-space:nowrap}
.status{font-weight:600}
.axis .ticks{background:none;height:18px}
.axis .ticks span{position:absolute;font-size:11px;color:#8a94a6;white-space:nowrap;transform:translateX(-50%)}
.axis .ticks span:first-child{transform:none}.axis .ticks span:last-child{transform:translateX(-100%)}
.error{margin:4px 0 8px 16px;padding:6px 10px;background:#fdecec;border-left:3px solid #d63b3b;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px}
.reason{margin:2px 0 6px 16px;font-size:12px;color:#5b6577}
.run-error{margin-left:0}
</style>
</head>
<body>
<h1>Run ${_esc(view.run_id)} <span class="badge" style="background:${_color(status)}">${
    _esc(status)
  }</span></h1>
<dl>${facts.map(([k, v]) => `<dt>${_esc(k)}</dt><dd>${_esc(v)}</dd>`).join("")}</dl>
${runError}
<div class="legend">${legend}</div>
<div class="timeline">
${_ticks(axis)}
${view.jobs.map((j) => _jobRows(axis, j)).join("\n")}
</div>
</body>
</html>
`;
}
