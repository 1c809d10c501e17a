// `deno task demo`: the infra-free demos of examples/ end to end through the real CLI, in one temp folder:
//   1. singleflow: a gate job and a DB extract (SQLite). The first run fails on purpose (the database folder
//      does not exist yet); the folder is created and the SAME run id is run again: it resumes.
//   2. multiflows-local/uc1: a bundle with WASM plugins: "SFTP" inbox -> download -> unzip -> transform -> zip ->
//      "SMB" outbox -> mail kept in memory.
//   3. multiflows-local/uc2: a bundle with WASM plugins: CSVs -> Excel report from a template -> "SMB" outbox.
// Shows each step as it ends, then a status table, where the outputs are and how to resume or re-run.
// `deno task demo [--dir <empty dir>] [--suffix <run id suffix>]`; exit 0 when every demo ended as expected.
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAIN = join(ROOT, "cli/main.ts");
const EXAMPLES = join(ROOT, "examples");
const TTY = Deno.stdout.isTerminal();
const _c = (code: string) => (s: string) => TTY ? `\x1b[${code}m${s}\x1b[0m` : s;
const bold = _c("1"), dim = _c("2"), green = _c("32"), red = _c("31"), yellow = _c("33");

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

function _color(status: string): string {
  if (status === "SUCCESS") return green(status);
  if (status === "FAILED") return red(status);
  return yellow(status);
}

/** Run the CLI, keep its whole output in `log`, print a line per finished step/job (the progress). */
async function _run(run: DemoRun, log: string): Promise<number> {
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
    console.log(`    ${_color(status!.padEnd(7))} ${`${job}/${step}`.padEnd(40)} ${dim(`${type} ${ms} ms`)}`);
    return;
  }
  if ((m = _JOB_FAILED.exec(line))) console.log(`    ${red("FAILED ")} ${m[1]}: ${m[2]!.slice(0, 160)}`);
  else if ((m = _JOB_SKIPPED.exec(line))) console.log(`    ${yellow("SKIPPED")} ${m[1]} ${dim(m[2]!)}`);
  else if ((m = _RESUMED.exec(line))) {
    console.log(`    ${dim(`resumed ${m[1]} (was ${m[2]}): not run again`)}`);
  }
}

function _jobs(state: string, runId: string): DemoResult["jobs"] {
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

/** The demo's runs, all under `root` (TMPDIR for the flows' `{{env.TMPDIR:/tmp}}` paths). */
export function demoRuns(root: string, suffix: string): DemoRun[] {
  const base = {
    TMPDIR: root,
    AETHERFLOW_WORK_ROOT: join(root, "work"),
    AETHERFLOW_STATE_SYNCHRONOUS: "NORMAL",
    NO_COLOR: "1",
  };
  const single = {
    ...base,
    DB_URL: `sqlite:///${join(root, "db", "demo.sqlite")}`,
    AETHERFLOW_PROFILES_FILE: join(EXAMPLES, "singleflow/profiles.yaml"),
  };
  const localEnv = { ...base, DEMO_TOKEN: "demo-token-not-a-secret" };
  const prefix = (env: Record<string, string>) =>
    Object.entries(env).filter(([k]) => k !== "NO_COLOR" && k !== "AETHERFLOW_STATE_SYNCHRONOUS")
      .map(([k, v]) => `${k}=${v}`).join(" ");
  const sId = `single-${suffix}`;
  const singleRun = (label: string, expectExit: number): DemoRun => ({
    label,
    args: ["run", "examples/singleflow/flows/demo_flow.yaml", "--run-id", sId],
    cwd: ROOT,
    env: single,
    runId: sId,
    state: join(root, "demo_state/demo_flow.sqlite"),
    expectExit,
    command: `${
      prefix(single)
    } deno task aetherflow run examples/singleflow/flows/demo_flow.yaml --run-id ${sId}`,
  });
  const bundleRun = (uc: string, flowId: string): DemoRun => {
    const runId = `${uc}-${suffix}`;
    const manifest = `examples/multiflows-local/${uc}/manifest_local.yaml`;
    return {
      label: `multiflows-local/${uc}`,
      args: ["run", "--bundle-manifest", "manifest_local.yaml", "--run-id", runId],
      cwd: join(EXAMPLES, "multiflows-local", uc),
      env: localEnv,
      runId,
      state: join(root, "state", `${flowId}.sqlite`),
      expectExit: 0,
      command: `${prefix(localEnv)} deno task aetherflow run --bundle-manifest ${manifest} --run-id ${runId}`,
    };
  };
  return [
    singleRun("singleflow (1st run: fails)", 1),
    singleRun("singleflow (resumed)", 0),
    bundleRun("uc1", "usecase1_demo_local"),
    bundleRun("uc2", "usecase2_demo_local"),
  ];
}

/** Where each demo leaves its outputs. */
export function demoOutputs(root: string, runs: DemoRun[]): [string, string][] {
  const [single, , uc1, uc2] = runs as [DemoRun, DemoRun, DemoRun, DemoRun];
  const art = (flow: string, job: string, id: string) => join(root, "work", flow, job, id, "artifacts");
  return [
    [
      "singleflow: extract (TSV)",
      join(root, "demo_work/demo_flow/extract_only", single.runId, "artifacts/data.tsv"),
    ],
    [
      "uc1: transformed CSV",
      join(art("usecase1_demo_local", "demo_pipeline", uc1.runId), "transformed/sample.csv"),
    ],
    [
      "uc1: payload zip",
      join(art("usecase1_demo_local", "demo_pipeline", uc1.runId), `out/payload_${uc1.runId}.zip`),
    ],
    ['uc1: "SMB" outbox copy', join(root, "demo_outbox/outbox", `payload_${uc1.runId}.zip`)],
    [
      "uc2: Excel report",
      join(art("usecase2_demo_local", "build_report", uc2.runId), `out/report_${uc2.runId}.xlsx`),
    ],
    ['uc2: "SMB" outbox copy', join(root, "demo_outbox/outbox", `report_${uc2.runId}.xlsx`)],
  ];
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function main(args: string[]): Promise<number> {
  const dirAt = args.indexOf("--dir");
  const root = dirAt >= 0 ? args[dirAt + 1]! : await Deno.makeTempDir({ prefix: "aetherflow-demo-" });
  await Deno.mkdir(join(root, "logs"), { recursive: true });
  const suffixAt = args.indexOf("--suffix");
  const suffix = suffixAt >= 0 ? args[suffixAt + 1]! : crypto.randomUUID().slice(0, 6);
  const runs = demoRuns(root, suffix);
  const results: DemoResult[] = [];
  for (const [i, run] of runs.entries()) {
    if (i === 1) {
      console.log(
        dim(`\n  (creating ${join(root, "db")}, the folder the database file needs, then resuming)`),
      );
      await Deno.mkdir(join(root, "db"), { recursive: true });
    }
    console.log(`\n${bold(`▶ ${run.label}`)}  ${dim(`run id ${run.runId}`)}`);
    const log = join(root, "logs", `${run.runId}.log`);
    const code = await _run(run, log);
    results.push({ run, code, jobs: _jobs(run.state, run.runId), log });
  }

  console.log(`\n${bold("== status")}`);
  console.log(dim(`  ${"demo".padEnd(30)} ${"exit".padEnd(5)} jobs (steps)`));
  let ok = true;
  for (const r of results) {
    const asExpected = r.code === r.run.expectExit;
    ok &&= asExpected;
    const jobs = r.jobs.map((j) => `${j.job_id} ${_color(j.status)} (${j.steps})`).join(", ");
    const note = asExpected
      ? (r.code === 0 ? "" : dim(" as intended"))
      : red(` expected ${r.run.expectExit}`);
    console.log(`  ${r.run.label.padEnd(30)} ${String(r.code).padEnd(5)} ${jobs}${note}`);
  }

  console.log(`\n${bold("== outputs")}`);
  for (const [what, path] of demoOutputs(root, runs)) {
    const there = await _exists(path);
    ok &&= there;
    console.log(`  ${what.padEnd(26)} ${there ? path : red(`missing: ${path}`)}`);
  }
  console.log(
    `  ${"state databases".padEnd(26)} ${[...new Set(runs.map((r) => r.state))].join("\n" + " ".repeat(29))}`,
  );
  console.log(`  ${"full logs".padEnd(26)} ${join(root, "logs")}`);

  console.log(
    `\n${bold("== resume, re-run, inspect")} ${
      dim("(from the repository root; no deno? use npx -y deno@2.9.6)")
    }`,
  );
  const [single, , uc1] = runs as [DemoRun, DemoRun, DemoRun];
  console.log(`  Same run id again = resume: finished steps are skipped, their outputs restored:`);
  console.log(`    ${single.command}`);
  console.log(`  A bundle demo (drop --run-id for a fresh run):`);
  console.log(`    ${uc1.command}`);
  console.log(`  What a run did:`);
  console.log(`    deno task aetherflow state show ${uc1.runId} --db ${uc1.state}`);
  console.log(`  The demos and their READMEs: examples/README.md. Remove everything: rm -rf ${root}\n`);
  if (!ok) console.error(red("\nsome demo did not end as expected; see the logs above"));
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
