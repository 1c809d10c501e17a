// What `schedule validate` and `schedule systemd` check beyond the scheduler file itself (docs/scheduling.md
// "Validation"): each item's flow exists and validates with the environment the item will run with, its
// `flow_job` exists, and which paths the run reads and writes (for the units' sandbox).
import { dirname, isAbsolute, join, resolve } from "node:path";
import { AetherflowError, errorMessage, SpecError } from "../engine/errors.ts";
import { loadSettings } from "../engine/config/mod.ts";
import type { Issue } from "../engine/types.ts";
import { DEFAULT_STATE_PATH, DEFAULT_WORKSPACE_ROOT, type FlowSpec } from "../engine/flow/mod.ts";
import { tmpdir as osTmp } from "node:os";
import { renderFlowMeta } from "../engine/runner/mod.ts";
import type { ItemPosition, PathNeed, ScheduleItem } from "../engine/scheduler/mod.ts";
import { prepareFlow, workRootPath } from "../compose/mod.ts";

export interface ItemCheckOptions {
  /** Item path -> absolute path. */
  resolvePath(p: string): string;
  /** The environment the run starts with. */
  env: Readonly<Record<string, string>>;
  /** The directory the run starts in. */
  cwd: string;
  /** The scheduler file, shown in issues about the item itself. */
  file: string;
  /** Bundle work root for bundle items (default: the settings `work_root` of `env`). */
  bundleWorkRoot?: string;
}

export interface ItemCheck {
  readonly errors: Issue[];
  readonly warnings: Issue[];
  /** Paths the run reads and writes (absolute, as the unit sees them). */
  readonly needs: PathNeed[];
  /** Longest `kill_grace_seconds` of the flow's steps (the runner's stop time), when known. */
  readonly stopGraceS?: number;
}

/** The runner's default `kill_grace_seconds` for a step (docs/steps.md, external.process). */
const _DEFAULT_KILL_GRACE_S = 15;
/** Time the run needs after its steps stopped: state rows, run record, connectors closed. */
const _RECORD_MARGIN_S = 5;

/** Check one item (index `i` in the file). Never throws for a bad flow: problems become issues. */
export async function checkItem(
  item: ScheduleItem,
  i: number,
  options: ItemCheckOptions,
): Promise<ItemCheck> {
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const needs: PathNeed[] = [];
  const issue = (key: string, code: string, msg: string): Issue => {
    const pos: ItemPosition | undefined = item.at?.[key] ?? item.at?.item;
    return {
      code,
      loc: `items[${i}]${key === "item" ? "" : `.${key}`}`,
      msg,
      file: options.file,
      ...(pos ? { line: pos.line, col: pos.col } : {}),
    };
  };
  if (item.bundleManifest !== undefined) {
    const manifest = options.resolvePath(item.bundleManifest);
    needs.push({ path: manifest, access: "ro", why: `bundle manifest of item ${item.id}` });
    if (!_isFile(manifest)) {
      errors.push(
        issue("bundle_manifest", "scheduler:manifest_not_found", `Bundle manifest not found: ${manifest}`),
      );
    } else {
      needs.push(...await _bundleNeeds(item, i, manifest, errors));
    }
    const root = options.bundleWorkRoot ??
      workRootPath(loadSettings(options.env, { cwd: options.cwd }).work_root, options.cwd);
    needs.push({
      path: _asUnitSees(root, join(osTmp(), "work"), ["work"], options),
      access: "rw",
      why: `bundle work root of item ${item.id}`,
    });
  }
  // A bundle item's flow is the bundle's entry flow, validated once the bundle is synced (at run time).
  if (item.flowYaml === undefined || item.bundleManifest !== undefined) return { errors, warnings, needs };
  const flowKey = item.at?.flow_yaml ? "flow_yaml" : item.at?.flow ? "flow" : "flow_yaml";
  const flowPath = options.resolvePath(item.flowYaml);
  needs.push({ path: flowPath, access: "ro", why: `flow file of item ${item.id}` });
  if (!_isFile(flowPath)) {
    errors.push(issue(flowKey, "scheduler:flow_not_found", `Flow file not found: ${flowPath}`));
    return { errors, warnings, needs };
  }
  let prepared;
  try {
    prepared = await prepareFlow(flowPath, { env: options.env, cwd: options.cwd, log: () => {} });
  } catch (err) {
    if (!(err instanceof AetherflowError)) throw err;
    errors.push(
      issue(flowKey, err.code === "usage" ? "scheduler:flow_invalid" : err.code, errorMessage(err)),
    );
    return { errors, warnings, needs };
  }
  try {
    const { report, masker } = prepared;
    const nested = (x: Issue): Issue => ({
      ...x,
      loc: `items[${i}].${flowKey} > ${x.loc}`,
      msg: masker.mask(x.msg),
      file: x.file ?? flowPath,
    });
    errors.push(...report.errors.map(nested));
    warnings.push(...report.warnings.map(nested));
    const flow = report.flow;
    if (!report.ok || !flow) return { errors, warnings, needs };
    if (item.flowJob !== undefined && !flow.jobs.some((j) => j.id === item.flowJob)) {
      errors.push(
        issue(
          "flow_job",
          "scheduler:unknown_job",
          `Unknown job '${item.flowJob}' in ${flowPath}. Known: ${
            JSON.stringify(flow.jobs.map((j) => j.id))
          }`,
        ),
      );
    }
    let meta;
    try {
      meta = renderFlowMeta(flow.flow, prepared.snapshot);
    } catch (err) {
      if (!(err instanceof AetherflowError)) throw err;
      errors.push(issue(flowKey, err.code, masker.mask(errorMessage(err))));
      return { errors, warnings, needs };
    }
    const statePath = _asUnitSees(
      meta.state.path,
      DEFAULT_STATE_PATH,
      ["state", "aetherflow.sqlite"],
      options,
    );
    if (statePath !== ":memory:") {
      needs.push({ path: dirname(statePath), access: "rw", why: `state DB of item ${item.id}` });
    }
    const root = _asUnitSees(meta.workspace.root, DEFAULT_WORKSPACE_ROOT, ["work"], options);
    needs.push({ path: root, access: "rw", why: `workspace root of item ${item.id}` });
    const metrics = (prepared.snapshot.AETHERFLOW_METRICS_TEXTFILE ?? "").trim();
    if (metrics !== "") {
      needs.push({
        path: dirname(resolve(options.cwd, metrics)),
        access: "rw",
        why: `metrics textfile of item ${item.id}`,
      });
    }
    return { errors, warnings, needs, stopGraceS: _longestKillGrace(flow) + _RECORD_MARGIN_S };
  } finally {
    await prepared.close();
  }
}

/**
 * The manifest validates (without syncing: that is the run's job, with the unit's account) and its filesystem
 * source is readable. The entry flow is validated when a run syncs the bundle.
 */
async function _bundleNeeds(
  item: ScheduleItem,
  i: number,
  manifestPath: string,
  errors: Issue[],
): Promise<PathNeed[]> {
  const { loadManifest } = await import("../engine/bundles/mod.ts");
  try {
    const manifest = await loadManifest(manifestPath);
    const src = manifest.bundle.source as { type?: string; base_path?: string };
    if (src.type === "filesystem" && typeof src.base_path === "string") {
      return [{
        path: resolve(manifest.dir, src.base_path),
        access: "ro",
        why: `bundle source of item ${item.id}`,
      }];
    }
    return [];
  } catch (err) {
    if (err instanceof SpecError) {
      errors.push(
        ...err.issues.map((x) => ({
          ...x,
          loc: `items[${i}].bundle_manifest > ${x.loc}`,
          file: x.file ?? manifestPath,
        })),
      );
      return [];
    }
    if (err instanceof AetherflowError) {
      errors.push({
        code: err.code,
        loc: `items[${i}].bundle_manifest`,
        msg: errorMessage(err),
        file: manifestPath,
      });
      return [];
    }
    throw err;
  }
}

/**
 * A rendered flow path as the run will see it: relative -> against the run's cwd; the schema default (the
 * temp dir of THIS process) -> the run's temp dir (`TMPDIR` of its env, else /tmp).
 */
function _asUnitSees(
  value: string,
  schemaDefault: string,
  tail: string[],
  options: ItemCheckOptions,
): string {
  if (value === ":memory:") return value;
  if (value === schemaDefault) return join(_tmp(options.env), ...tail);
  return isAbsolute(value) ? resolve(value) : resolve(options.cwd, value);
}

function _tmp(env: Readonly<Record<string, string>>): string {
  const t = (env.TMPDIR ?? "").trim();
  return t === "" ? "/tmp" : t;
}

/** The largest literal `kill_grace_seconds` of the flow's steps (the default when none is set). */
function _longestKillGrace(flow: FlowSpec): number {
  let longest = _DEFAULT_KILL_GRACE_S;
  for (const job of flow.jobs) {
    for (const step of job.steps) {
      const raw = (step.inputs as Record<string, unknown> | undefined)?.kill_grace_seconds;
      const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : NaN;
      if (Number.isFinite(n) && n > longest) longest = Math.ceil(n);
    }
  }
  return longest;
}

function _isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
