// Shared by `deno task demo` (scripts/demo.ts) and its --remote variant (scripts/demo_remote.ts): run the CLI
// with a line per finished step, read the jobs back from state, print the status table and the outputs.
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAIN = join(ROOT, "cli/main.ts");
const TTY = Deno.stdout.isTerminal();
const _c = (code: string) => (s: string) => TTY ? `\x1b[${code}m${s}\x1b[0m` : s;
export const bold = _c("1"), dim = _c("2"), green = _c("32"), red = _c("31"), yellow = _c("33");

/** One CLI invocation of the demo. */
export interface DemoRun {
  label: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  runId: string;
  state: string;
  expectExit: number;
  /** The command a user types to do the same (from the repository root). */
  command: string;
}

export interface DemoResult {
  run: DemoRun;
  code: number;
  jobs: { job_id: string; status: string; steps: number; why: string }[];
  log: string;
}

export function color(status: string): string {
  if (status === "SUCCESS") return green(status);
  if (status === "FAILED") return red(status);
  return yellow(status);
}

/** Run the CLI, keep its whole output in `log`, print a line per finished step/job (the progress). */
export async function runWithProgress(run: DemoRun, log: string): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", "--v8-flags=--wasm-max-mem-pages=4096", MAIN, ...run.args],
    cwd: run.cwd,
    env: run.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const file = await Deno.open(log, { write: true, create: true, append: true });
  const enc = new TextEncoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        await file.write(enc.encode(line + "\n"));
        _progress(line);
      }
    }
    if (rest) await file.write(enc.encode(rest + "\n"));
  };
  await Promise.all([pump(child.stdout), pump(child.stderr)]);
  file.close();
  return (await child.status).code;
}

const _STEP_END = /step_end .*job_id=(\S+) step_id=(\S+) step_type=(\S+) status=(\S+) duration_ms=(\d+)/;
const _JOB_FAILED = /job\.(\S+) - Job failed: (.*)$/;
const _JOB_SKIPPED = /Job skipped job_id=(\S+) (.*)$/;
const _RESUMED = /Step skip \(resume\) step_id=(\S+) prev=(\S+)/;

function _progress(line: string): void {
  let m = _STEP_END.exec(line);
  if (m) {
    const [, job, step, type, status, ms] = m;
    console.log(`    ${color(status!.padEnd(7))} ${`${job}/${step}`.padEnd(48)} ${dim(`${type} ${ms} ms`)}`);
    return;
  }
  if ((m = _JOB_FAILED.exec(line))) console.log(`    ${red("FAILED ")} ${m[1]}: ${m[2]!.slice(0, 160)}`);
  else if ((m = _JOB_SKIPPED.exec(line))) console.log(`    ${yellow("SKIPPED")} ${m[1]} ${dim(m[2]!)}`);
  else if ((m = _RESUMED.exec(line))) {
    console.log(`    ${dim(`resumed ${m[1]} (was ${m[2]}): not run again`)}`);
  }
}

export function jobsOf(state: string, runId: string): DemoResult["jobs"] {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(state, { readOnly: true });
  } catch {
    return [];
  }
  try {
    const rows = db.prepare(
      `SELECT j.job_id, j.status, COALESCE(j.error, j.skip_reason, '') AS why,
              (SELECT COUNT(*) FROM step_runs s WHERE s.run_id = j.run_id AND s.job_id = j.job_id) AS steps
         FROM job_runs j WHERE j.run_id = ? ORDER BY j.rowid`,
    ).all(runId);
    return rows.map((r) => ({
      job_id: String(r.job_id),
      status: String(r.status),
      steps: Number(r.steps),
      why: String(r.why),
    }));
  } finally {
    db.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Run every demo in order (`before(i)` first), print the status table; true when each exited as expected. */
export async function runDemos(
  runs: DemoRun[],
  logs: string,
  before: (i: number) => Promise<void> = () => Promise.resolve(),
): Promise<boolean> {
  const results: DemoResult[] = [];
  for (const [i, run] of runs.entries()) {
    await before(i);
    console.log(`\n${bold(`▶ ${run.label}`)}  ${dim(`run id ${run.runId}`)}`);
    const log = join(logs, `${run.runId}.log`);
    const code = await runWithProgress(run, log);
    results.push({ run, code, jobs: jobsOf(run.state, run.runId), log });
  }
  console.log(`\n${bold("== status")}`);
  console.log(dim(`  ${"demo".padEnd(30)} ${"exit".padEnd(5)} jobs (steps)`));
  let ok = true;
  for (const r of results) {
    const asExpected = r.code === r.run.expectExit;
    ok &&= asExpected;
    const jobs = r.jobs.map((j) => `${j.job_id} ${color(j.status)} (${j.steps})`).join(", ");
    const note = asExpected
      ? (r.code === 0 ? "" : dim(" as intended"))
      : red(` expected ${r.run.expectExit}`);
    console.log(`  ${r.run.label.padEnd(30)} ${String(r.code).padEnd(5)} ${jobs}${note}`);
  }
  return ok;
}

/** Print `[what, path]` pairs; true when every path exists. */
export async function printOutputs(outputs: [string, string][]): Promise<boolean> {
  console.log(`\n${bold("== outputs")}`);
  let ok = true;
  for (const [what, path] of outputs) {
    const there = await exists(path);
    ok &&= there;
    console.log(`  ${what.padEnd(26)} ${there ? path : red(`missing: ${path}`)}`);
  }
  return ok;
}
