// Job workspace layout (core.md §5.6): <root>/<flow_id>/<job_id>/<run_id>/{artifacts,scratch,manifests}.
import { join } from "node:path";
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

/** Compute the job's directories (pure). */
export function jobLayout(options: JobLayoutOptions): JobLayout {
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

/** Delete only the `<run_id>` dir; parents stay, errors are ignored (§5.3 step 8). */
export async function removeJobDir(layout: JobLayout): Promise<boolean> {
  return await removeTree(layout.jobDir);
}
