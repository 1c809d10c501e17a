// Job workspace layout (docs/execution-model.md): <root>/<flow_id>/<job_id>/<run_id>/{artifacts,scratch,manifests}.
import { join } from "node:path";
import { AetherflowError } from "../errors.ts";
import { makeDirs, removeTree } from "./_runtime.ts";

/** The directories of one job in one run. */
export interface JobLayout {
  jobDir: string;
  artifactsDir: string;
  scratchDir: string;
  manifestsDir: string;
}

export interface JobLayoutOptions {
  root: string;
  flowId: string;
  jobId: string;
  runId: string;
  /** `workspace.layout` (names of the three dirs; validation guarantees the keys). */
  layout: Readonly<Record<string, string>>;
}

// deno-lint-ignore no-control-regex
const _CONTROL_REGEXP = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Why `value` cannot be used as (part of) a job directory name, or undefined when it can. A `.` or `..` path
 * segment would make `<root>/<flow_id>/<job_id>/<run_id>` point at another directory — one that cleanup would
 * then delete recursively (a job `..` with run id `..` is the parent of the workspace root).
 */
export function unsafeDirName(value: string, options: { allowEmpty?: boolean } = {}): string | undefined {
  if (value === "" && !options.allowEmpty) return "it is empty";
  if (value.includes("\0")) return "it contains a NUL character";
  // A line break or escape in an id would forge log lines and terminal output wherever the id is printed.
  const control = _CONTROL_REGEXP.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `it contains a control character (U+${code})`;
  }
  if (value.split(/[\\/]/).some((seg) => seg === "." || seg === "..")) {
    return `it has a "." or ".." path segment`;
  }
  return undefined;
}

/**
 * Compute the job's directories (pure).
 * @throws {AetherflowError} when an id (or a layout name) cannot be used as a directory name (see unsafeDirName)
 */
export function jobLayout(options: JobLayoutOptions): JobLayout {
  const parts: [string, string, boolean][] = [
    ["flow id", options.flowId, true],
    ["job id", options.jobId, false],
    ["run id", options.runId, false],
    ...Object.entries(options.layout).map((
      [k, v],
    ): [string, string, boolean] => [`workspace.layout.${k}`, v, true]),
  ];
  for (const [what, value, allowEmpty] of parts) {
    const why = unsafeDirName(value, { allowEmpty });
    if (why !== undefined) {
      throw new AetherflowError(
        `Cannot use ${what} ${JSON.stringify(value)} in the job directory path: ${why}`,
      );
    }
  }
  const jobDir = join(options.root, options.flowId, options.jobId, options.runId);
  const sub = (key: string) => join(jobDir, options.layout[key] ?? key);
  return {
    jobDir,
    artifactsDir: sub("artifacts"),
    scratchDir: sub("scratch"),
    manifestsDir: sub("manifests"),
  };
}

/** mkdir -p the job dir and its three layout dirs (only for jobs that reach job_start). */
export async function createJobLayout(layout: JobLayout): Promise<void> {
  await makeDirs(layout.jobDir);
  await makeDirs(layout.artifactsDir);
  await makeDirs(layout.scratchDir);
  await makeDirs(layout.manifestsDir);
}

/** Delete only the `<run_id>` dir; parents stay, errors are ignored (docs/execution-model.md step 8). */
export async function removeJobDir(layout: JobLayout): Promise<boolean> {
  return await removeTree(layout.jobDir);
}
