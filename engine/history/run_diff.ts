// `runs diff` (docs/cli.md "runs diff"): what differs between two runs, or between a run and today's flow —
// the causes an operator asks about ("it worked yesterday"), never outcomes, ids, hosts or timings.
import type { PluginRecord, RunRecord, StepRecord } from "../state/mod.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/** What one side of a diff knows. `steps` is null when inputs cannot be compared (today's flow has not run). */
export interface DiffSide {
  flowSha256: string | null;
  version: string | null;
  plugins: readonly PluginRecord[];
  /** undefined: not known on this side (today's flow without a bundle manifest), so not compared. */
  bundle: JsonObject | null | undefined;
  env: Readonly<Record<string, string | null>> | null;
  settings: JsonObject | null;
  /** `job_id/step_id` -> recorded inputs (null: the step did not run with inputs). */
  steps: ReadonlyMap<string, { jobId: string; stepId: string; inputs: JsonObject | null }> | null;
}

/** One difference. `key` names the thing (`t_echo`, `REGION`, `load/call inputs.region`). */
export interface Change {
  kind: "flow" | "version" | "plugin" | "bundle" | "env" | "settings" | "step_inputs";
  key: string;
  before: JsonValue;
  after: JsonValue;
}

const _MASK = "***";

/** A run record and its step rows as a diff side. */
export function runSide(run: RunRecord, steps: readonly StepRecord[]): DiffSide {
  const map = new Map<string, { jobId: string; stepId: string; inputs: JsonObject | null }>();
  for (const s of steps) {
    map.set(`${s.jobId}/${s.stepId}`, { jobId: s.jobId, stepId: s.stepId, inputs: s.inputs });
  }
  return {
    flowSha256: run.flowSha256,
    version: run.version,
    plugins: run.plugins,
    bundle: run.bundle,
    env: run.env,
    settings: run.settings,
    steps: map,
  };
}

/** Every change from `before` to `after`, in a stable order (kind, then key). */
export function diffRuns(before: DiffSide, after: DiffSide): Change[] {
  const out: Change[] = [];
  if (before.flowSha256 !== after.flowSha256 && before.flowSha256 !== null && after.flowSha256 !== null) {
    out.push({ kind: "flow", key: "flow_sha256", before: before.flowSha256, after: after.flowSha256 });
  }
  if (before.version !== after.version && before.version !== null && after.version !== null) {
    out.push({ kind: "version", key: "version", before: before.version, after: after.version });
  }
  out.push(..._plugins(before.plugins, after.plugins));
  if (before.bundle !== undefined && after.bundle !== undefined) {
    out.push(..._maps("bundle", before.bundle, after.bundle));
  }
  if (before.env !== null && after.env !== null) out.push(..._maps("env", before.env, after.env));
  if (before.settings !== null && after.settings !== null) {
    out.push(..._maps("settings", before.settings, after.settings));
  }
  if (before.steps !== null && after.steps !== null) out.push(..._steps(before.steps, after.steps));
  return out;
}

function _plugins(a: readonly PluginRecord[], b: readonly PluginRecord[]): Change[] {
  const before = new Map(a.map((p) => [p.name, { version: p.version, sha256: p.sha256 }]));
  const after = new Map(b.map((p) => [p.name, { version: p.version, sha256: p.sha256 }]));
  const out: Change[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const x = before.get(name) ?? null;
    const y = after.get(name) ?? null;
    if (x?.version === y?.version && x?.sha256 === y?.sha256) continue;
    out.push({ kind: "plugin", key: name, before: x, after: y });
  }
  return out;
}

function _maps(
  kind: "bundle" | "env" | "settings",
  a: Readonly<Record<string, JsonValue>> | null,
  b: Readonly<Record<string, JsonValue>> | null,
): Change[] {
  const out: Change[] = [];
  const x = a ?? {};
  const y = b ?? {};
  for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    const before = Object.hasOwn(x, key) ? x[key]! : null;
    const after = Object.hasOwn(y, key) ? y[key]! : null;
    // Two masked values cannot be compared: a secret is recorded only as `***`.
    if (before === _MASK && after === _MASK) continue;
    if (_same(before, after)) continue;
    out.push({ kind, key, before, after });
  }
  return out;
}

function _steps(
  a: NonNullable<DiffSide["steps"]>,
  b: NonNullable<DiffSide["steps"]>,
): Change[] {
  const out: Change[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    // Only steps that ran in both: a missing row is an outcome (a failing step has none), not a cause; a step
    // added to or removed from the flow shows as a changed flow_sha256.
    const x = a.get(key);
    const y = b.get(key);
    if (x === undefined || y === undefined || x.inputs === null || y.inputs === null) continue;
    for (const d of _leafDiff(x.inputs, y.inputs, "inputs")) {
      out.push({ kind: "step_inputs", key: `${key} ${d.path}`, before: d.before, after: d.after });
    }
  }
  return out;
}

function _isObj(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Differences per path; objects are walked, lists and scalars compared whole. */
function _leafDiff(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
): { path: string; before: JsonValue; after: JsonValue }[] {
  if (_isObj(a) && _isObj(b)) {
    const out: { path: string; before: JsonValue; after: JsonValue }[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      out.push(..._leafDiff(a[k], b[k], `${path}.${k}`));
    }
    return out;
  }
  if (_same(a ?? null, b ?? null)) return [];
  return [{ path, before: a ?? null, after: b ?? null }];
}

function _same(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(_sorted(a)) === JSON.stringify(_sorted(b));
}

function _sorted(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(_sorted);
  if (_isObj(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, _sorted(v[k]!)]));
  return v;
}
