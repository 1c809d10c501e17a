/**
 * Sandboxed paths for built-in file inputs (docs/steps.md "Sandboxed paths"). Relative paths live under the job
 * artifacts dir; the resolved path (symlinks followed, `..` collapsed) must stay under an allowed root unless the
 * sandbox is off. Steps reach it as `ctx.paths.resolve(raw)`.
 * @module
 */
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { parseBool } from "../config/settings.ts";
import { StepError } from "../errors.ts";
import type { StepPaths } from "./types.ts";

const LEADING_SEP_REGEXP = /^[/\\]+/;

export interface SandboxOptions {
  /** The job artifacts dir (`<work_root>/<flow_id>/<job_id>/<run_id>/<artifacts>`). */
  artifactsDir: string;
  /** The run's workspace root (settings `work_root`). */
  workRoot: string;
  /** The env snapshot: `AETHERFLOW_STRICT_SANDBOX` (default on) and `AETHERFLOW_MODE_ENTERPRISE`. */
  env: Readonly<Record<string, string>>;
}

function _flag(env: Readonly<Record<string, string>>, key: string, fallback: boolean): boolean {
  const value = env[key];
  if (value === undefined) return fallback;
  // Truthy = the D17 true set; anything else (junk included) is off.
  return parseBool(value) === true;
}

/** realpath of the longest existing prefix, with the missing tail appended (outputs may not exist yet). */
async function _realpathLoose(path: string): Promise<string> {
  const tail: string[] = [];
  let current = path;
  while (true) {
    try {
      const real = await Deno.realPath(current);
      return tail.length === 0 ? real : join(real, ...tail.reverse());
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(current.slice(parent.length).replace(LEADING_SEP_REGEXP, ""));
      current = parent;
    }
  }
}

function _isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function _existingRoots(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    try {
      const real = await Deno.realPath(root);
      if (!out.includes(real)) out.push(real);
    } catch {
      // Only the roots that exist count.
    }
  }
  return out;
}

/** Resolve `raw` and enforce the sandbox. Throws StepError with the contract messages. */
export async function resolveSandboxedPath(raw: string, options: SandboxOptions): Promise<string> {
  const lexical = resolve(isAbsolute(raw) ? raw : join(options.artifactsDir, raw));
  const real = await _realpathLoose(lexical);
  if (!_flag(options.env, "AETHERFLOW_STRICT_SANDBOX", true)) return real;
  if (_flag(options.env, "AETHERFLOW_MODE_ENTERPRISE", false)) {
    const [artifacts] = await _existingRoots([options.artifactsDir]);
    if (artifacts === undefined || !_isInside(real, artifacts)) {
      throw new StepError(`Path escapes job artifacts dir in enterprise mode: ${raw}`);
    }
    return real;
  }
  const roots = await _existingRoots([options.workRoot, options.artifactsDir]);
  if (!roots.some((root) => _isInside(real, root))) {
    throw new StepError(`Path not under allowed roots: ${raw}. Allowed roots: ${JSON.stringify(roots)}`);
  }
  return real;
}

/** The `StepContext.paths` of one step. */
export function createStepPaths(options: SandboxOptions): StepPaths {
  return { resolve: (raw) => resolveSandboxedPath(raw, options) };
}
