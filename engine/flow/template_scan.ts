/**
 * Template scan of a flow (docs/validation.md) [D9]: every string leaf checked on its own, every issue reported at
 * the exact leaf loc.
 * @module
 */
import {
  DECODE_ERR,
  isStandaloneToken,
  PHASE_ROOTS,
  renderString,
  STRICT_ERR,
  stringLeaves,
  type TemplateContext,
  templateRoots,
} from "../resolver/mod.ts";
import { suggestKey } from "../suggest.ts";
import type { Issue } from "../types.ts";
import { collectDecodeRequestsLenient } from "../config/secrets.ts";
import type { FlowSpec } from "./flow_model.ts";
import { isMap } from "../types.ts";

/** Scan results: `errors` and `warnings` each in detection order. */
export interface ScanResult {
  errors: Issue[];
  warnings: Issue[];
}

export interface ScanOptions {
  snapshot: Readonly<Record<string, string>>;
  /** Missing env is an error instead of a warning (`AETHERFLOW_VALIDATE_ENV_STRICT=true`). */
  strictEnv: boolean;
}

/**
 * The step-phase context validation renders against: the env snapshot and placeholder ids. `steps`, `job`,
 * `result` and `jobs` are unknown before the run, so their tokens render as stand-ins (an empty map there would
 * render `{}` and trip the forbidden-syntax check on text that is fine at run time).
 */
function _stepContext(env: Readonly<Record<string, string>>): TemplateContext {
  return { env, run_id: "RUN_ID", flow_id: "FLOW_ID" };
}

/** Scan resources, the `flow:` block and every step's inputs/outputs of a schema-valid flow. */
export function scanFlowTemplates(flow: FlowSpec, options: ScanOptions): ScanResult {
  const out: ScanResult = { errors: [], warnings: [] };
  const envCtx: TemplateContext = { env: options.snapshot };
  for (const [name, res] of Object.entries(flow.resources)) {
    const base = `resources.${name}`;
    for (const section of ["config", "options"] as const) {
      for (const leaf of stringLeaves(res[section], `${base}.${section}`)) {
        scanLeaf(leaf.value, leaf.loc, {
          ctx: envCtx,
          roots: PHASE_ROOTS.resource,
          out,
          strictEnv: options.strictEnv,
        });
      }
    }
    for (const req of collectDecodeRequestsLenient(res.decode)) {
      const raw = _lookupDotted(req.section === "config" ? res.config : res.options, req.path);
      if (typeof raw !== "string" || (!raw.includes("{{") && !raw.includes("}}"))) continue;
      if (!isStandaloneToken(raw.trim())) {
        out.errors.push({
          code: "template:syntax",
          loc: `${base}.${req.section}.${req.path}`,
          msg: DECODE_ERR,
        });
      }
    }
    for (const leaf of stringLeaves(res.decode, `${base}.decode`)) {
      if (!leaf.value.includes("{{")) continue;
      if (!isStandaloneToken(leaf.value)) {
        out.errors.push({ code: "template:syntax", loc: leaf.loc, msg: STRICT_ERR });
        continue;
      }
      scanLeaf(leaf.value, leaf.loc, {
        ctx: envCtx,
        roots: PHASE_ROOTS.resource,
        out,
        strictEnv: options.strictEnv,
      });
    }
  }
  for (const leaf of stringLeaves(flow.flow, "flow")) {
    scanLeaf(leaf.value, leaf.loc, {
      ctx: envCtx,
      roots: PHASE_ROOTS.flow,
      out,
      strictEnv: options.strictEnv,
    });
  }
  const stepCtx = _stepContext(options.snapshot);
  const allowed = new Set<string>(PHASE_ROOTS.step);
  const jobIndex = _firstIndex(flow.jobs.map((job) => job.id));
  flow.jobs.forEach((job, i) => {
    const stepIndex = _firstIndex(job.steps.map((step) => step.id));
    job.steps.forEach((step, j) => {
      for (const section of ["inputs", "outputs"] as const) {
        const checkRef = _refChecker({ flow, jobIndex, stepIndex, i, j, section });
        for (const leaf of stringLeaves(step[section], `jobs[${i}].steps[${j}].${section}`)) {
          for (const root of templateRoots(leaf.value)) {
            if (!allowed.has(root)) {
              out.errors.push({
                code: "template:unknown_root",
                loc: leaf.loc,
                msg: `Unknown template root: ${root}`,
              });
            }
          }
          scanLeaf(leaf.value, leaf.loc, {
            ctx: stepCtx,
            roots: PHASE_ROOTS.step,
            out,
            strictEnv: options.strictEnv,
            checkRef,
          });
        }
      }
    });
  });
  return out;
}

export interface ScanLeafOptions {
  ctx: TemplateContext;
  /** Allowed roots; undefined = any root of `ctx`. */
  roots?: readonly string[];
  out: ScanResult;
  strictEnv: boolean;
  /** Checks a reference outside `env` that `ctx` cannot resolve (`jobs.x.outputs.n`), reporting into `out`. */
  checkRef?: (ref: { path: string; hasDefault: boolean }, loc: string, out: ScanResult) => void;
}

// What a token that validation cannot resolve renders as, so the rest of the string is still checked; plain
// text, so it cannot itself trip the forbidden-syntax check on the rendered result.
const _STAND_IN = { value: "x" } as const;

/**
 * Render one leaf, checking every token in it: each missing `env`/`env.*` without a default ->
 * `semantic:missing_env` (error when strict, else warning); other paths `ctx` lacks go to `checkRef` and render
 * as a stand-in; syntax -> `template:syntax` with the resolver message (one per leaf: the first).
 */
export function scanLeaf(text: string, loc: string, options: ScanLeafOptions): void {
  const seen = new Set<string>();
  const onMissing = (path: string, hasDefault: boolean) => {
    if (path === "env" || path.startsWith("env.")) {
      if (hasDefault) return undefined;
      if (!seen.has(path)) {
        seen.add(path);
        const issue = { code: "semantic:missing_env", loc, msg: `Missing env ${path}` };
        (options.strictEnv ? options.out.errors : options.out.warnings).push(issue);
      }
      return _STAND_IN;
    }
    if (!seen.has(path)) {
      seen.add(path);
      options.checkRef?.({ path, hasDefault }, loc, options.out);
    }
    return hasDefault ? undefined : _STAND_IN;
  };
  try {
    renderString(text, options.ctx, { roots: options.roots, onMissing });
  } catch (err) {
    // Missing keys all render as stand-ins above, so what is left is syntax.
    const msg = err instanceof Error ? err.message : String(err);
    options.out.errors.push({ code: "template:syntax", loc, msg });
  }
}

interface _RefScope {
  flow: FlowSpec;
  jobIndex: ReadonlyMap<string, number>;
  stepIndex: ReadonlyMap<string, number>;
  /** The job and step being scanned. */
  i: number;
  j: number;
  section: "inputs" | "outputs";
}

/**
 * `jobs.<id>` and `steps.<id>` references checked against the flow (docs/validation.md, "References"): an id
 * that does not exist, the current job, or a step that has not run yet at that point can never resolve — an
 * error, or a warning when the token has a default (which is then always what it renders). A job that runs
 * later is a warning: it has a value only when an earlier invocation of the same run id finished it.
 */
function _refChecker(
  scope: _RefScope,
): (ref: { path: string; hasDefault: boolean }, loc: string, out: ScanResult) => void {
  const job = scope.flow.jobs[scope.i]!;
  const step = job.steps[scope.j]!;
  return ({ path, hasDefault }, loc, out) => {
    const [root, id] = path.split(".");
    if (id === undefined) return;
    const never = hasDefault ? out.warnings : out.errors;
    if (root === "jobs") {
      const at = scope.jobIndex.get(id);
      if (at === undefined) {
        never.push({
          code: "template:unknown_job",
          loc,
          msg: `Unknown job in template: jobs.${id}${_hint(id, scope.jobIndex)}`,
        });
      } else if (at === scope.i) {
        never.push({
          code: "template:job_order",
          loc,
          msg: `jobs.${id} is the current job, which templates never see; use job.outputs.<key>`,
        });
      } else if (at > scope.i) {
        out.warnings.push({
          code: "template:job_order",
          loc,
          msg: `jobs.${id} runs after job '${job.id}': it has a value only if an earlier invocation of ` +
            "this run finished it",
        });
      }
    } else if (root === "steps") {
      const at = scope.stepIndex.get(id);
      if (at === undefined) {
        never.push({
          code: "template:unknown_step",
          loc,
          msg: `Unknown step in job '${job.id}': steps.${id}${_hint(id, scope.stepIndex)}`,
        });
      } else if (at > scope.j || (at === scope.j && scope.section === "inputs")) {
        const what = at === scope.j
          ? `is step '${step.id}' itself; its inputs cannot see its output (use result.<key> in outputs)`
          : `runs after step '${step.id}'`;
        never.push({ code: "template:step_order", loc, msg: `steps.${id} ${what}` });
      }
    }
  };
}

function _hint(id: string, known: ReadonlyMap<string, number>): string {
  // Two edits turn any short id into any other (`x` -> `s1`): no hint below four characters.
  const near = id.length < 4 ? undefined : suggestKey(id, [...known.keys()]);
  return near === undefined ? "" : ` (did you mean '${near}'?)`;
}

/** Each id's first position (duplicates are reported by the semantic rules). */
function _firstIndex(ids: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  ids.forEach((id, n) => {
    if (!out.has(id)) out.set(id, n);
  });
  return out;
}

function _lookupDotted(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of path.split(".")) {
    if (!isMap(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}
