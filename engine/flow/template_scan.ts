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
  TemplateError,
  templateRoots,
} from "../resolver/mod.ts";
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

/** The step-phase context validation renders against (docs/validation.md 3b): no `jobs`, placeholder ids. */
function _stepContext(env: Readonly<Record<string, string>>): TemplateContext {
  return { env, steps: {}, job: {}, run_id: "RUN_ID", flow_id: "FLOW_ID", result: {} };
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
  flow.jobs.forEach((job, i) => {
    job.steps.forEach((step, j) => {
      for (const section of ["inputs", "outputs"] as const) {
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
}

/**
 * Render one leaf and record what goes wrong: missing `env`/`env.*` -> `semantic:missing_env` (error when
 * strict, else warning); other missing keys are ignored; syntax -> `template:syntax` with the resolver message.
 */
export function scanLeaf(text: string, loc: string, options: ScanLeafOptions): void {
  try {
    renderString(text, options.ctx, { roots: options.roots });
  } catch (err) {
    if (!(err instanceof TemplateError)) {
      options.out.errors.push({
        code: "template:syntax",
        loc,
        msg: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    if (err.kind === "syntax") {
      options.out.errors.push({ code: "template:syntax", loc, msg: err.message });
      return;
    }
    const path = err.path ?? "";
    if (path !== "env" && !path.startsWith("env.")) return;
    const issue = { code: "semantic:missing_env", loc, msg: `Missing env ${path}` };
    (options.strictEnv ? options.out.errors : options.out.warnings).push(issue);
  }
}

function _lookupDotted(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of path.split(".")) {
    if (!isMap(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}
