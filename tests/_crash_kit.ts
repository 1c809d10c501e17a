// Crash-consistency harness shared by tests/crash_test.ts (≥50 kills) and scripts/torture.ts (≥200 kills).
//
// A flow of external.process steps appends `start <step> <pgid> <inv>` and `done <step> <inv>` to a ledger
// (inv = the invocation number, passed through the env snapshot) and prints a deterministic value. The runner is
// SIGKILLed at seeded random instants and resumed with the same --run-id until it exits 0. Orphaned step
// process groups are killed too, like a crashed host or cgroup would. Checks:
//  - no step is recorded SUCCESS without having finished (its recorded invocation has a `done` line);
//  - after its recorded success a step never ran again, and it finished exactly once in that invocation;
//  - the final outputs equal those of an uninterrupted run.
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { MAIN } from "./_helpers.ts";
import { prng } from "./_prng.ts";

export const CRASH_JOBS = [["extract", ["s1", "s2", "s3", "s4"]], ["load", [
  "t1",
  "t2",
  "t3",
  "t4",
]]] as const;

function _step(id: string, extra: string): string {
  const script = `echo "start ${id} $$ $CRASH_INV" >> "$CRASH_LEDGER"; sleep 0.01; ` +
    `echo "done ${id} $CRASH_INV" >> "$CRASH_LEDGER"; echo "value-${id}${extra}"; echo "inv=$CRASH_INV" >&2`;
  return `      - id: ${id}
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
          log: {stdout: capture, stderr: capture}
        outputs:
          v_${id}: "{{result.stdout}}"
`;
}

/**
 * The crash flow: job `load` depends on `extract` and reads its promoted outputs (resume must restore them).
 * Its state is `dir/state.sqlite`, or with `postgres` the PostgreSQL database of `$CRASH_STATE_URL`.
 */
export function crashFlow(dir: string, postgres = false): string {
  const [[j1, s1], [j2, s2]] = CRASH_JOBS;
  const state = postgres
    ? `{backend: postgres, url: "{{env.CRASH_STATE_URL}}"}`
    : `{path: ${dir}/state.sqlite}`;
  return `flow:
  id: crash
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: ${state}
jobs:
  - id: ${j1}
    steps:
${s1.map((s) => _step(s, "")).join("")}  - id: ${j2}
    depends_on: [${j1}]
    steps:
${s2.map((s) => _step(s, `-{{jobs.${j1}.outputs.v_s1}}`)).join("")}`;
}

interface _Ledger {
  starts: { step: string; pgid: number; inv: number }[];
  dones: { step: string; inv: number }[];
}

async function _readLedger(path: string): Promise<_Ledger> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const out: _Ledger = { starts: [], dones: [] };
  for (const line of text.split("\n")) {
    const p = line.trim().split(" ");
    if (p[0] === "start" && p.length === 4) {
      out.starts.push({ step: p[1]!, pgid: Number(p[2]), inv: Number(p[3]) });
    }
    if (p[0] === "done" && p.length === 3) out.dones.push({ step: p[1]!, inv: Number(p[2]) });
  }
  return out;
}

function _spawn(dir: string, runId: string, inv: number, stateUrl?: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "run", join(dir, "flow.yaml"), "--run-id", runId],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
      NO_COLOR: "1",
      CRASH_INV: String(inv),
      CRASH_LEDGER: join(dir, `ledger-${runId}.txt`),
      AETHERFLOW_LOG_LEVEL: "WARNING",
      ...(stateUrl ? { CRASH_STATE_URL: stateUrl, AETHERFLOW_STATE_ROOT: join(dir, "state-root") } : {}),
    },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Kill what a crashed host would have taken down with the runner: step groups started and not done. */
async function _killOrphans(ledgerPath: string, inv: number): Promise<void> {
  let last = "";
  for (let quiet = 0; quiet < 2;) {
    await new Promise((r) => setTimeout(r, 25));
    const text = await Deno.readTextFile(ledgerPath).catch(() => "");
    const led = await _readLedger(ledgerPath);
    for (const s of led.starts) {
      if (s.inv !== inv || led.dones.some((d) => d.step === s.step && d.inv === inv)) continue;
      try {
        Deno.kill(-s.pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    quiet = text === last ? quiet + 1 : 0;
    last = text;
  }
}

type _Row = Record<string, unknown>;
/** A read of the state the runs write (SQLite file or PostgreSQL): `?` placeholders. */
type _Query = (sql: string, ...params: string[]) => Promise<_Row[]>;

function _sqliteQuery(dir: string): _Query {
  return (sql, ...params) => {
    const path = join(dir, "state.sqlite");
    try {
      Deno.statSync(path);
    } catch {
      return Promise.resolve([]);
    }
    const db = new DatabaseSync(path);
    try {
      return Promise.resolve(db.prepare(sql).all(...params).map((r) => ({ ...r })));
    } finally {
      db.close();
    }
  };
}

async function _postgresQuery(url: string): Promise<{ query: _Query; close(): Promise<void> }> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    query: async (text, ...params) => {
      let n = 0;
      const rows = await sql.unsafe(text.replace(/\?/g, () => `$${++n}`), params).catch((err) => {
        // Before the first run created the tables there is nothing to read.
        if (String(err?.code) === "42P01") return [];
        throw err;
      });
      return [...rows].map((r) => ({ ...r }));
    },
    close: () => sql.end(),
  };
}

/** Final outputs of a run with the invocation-dependent `stderr` removed. */
export async function finalOutputs(query: _Query, runId: string): Promise<{ jobs: _Row[]; steps: _Row[] }> {
  const jobs = await query(
    "SELECT job_id, status, outputs_json FROM job_runs WHERE run_id = ? ORDER BY job_id",
    runId,
  );
  const steps = (await query(
    "SELECT job_id, step_id, status, output_json, promoted_json FROM step_runs WHERE run_id = ? ORDER BY job_id, step_id",
    runId,
  )).map((r) => {
    const out = JSON.parse(String(r.output_json));
    delete out.stderr;
    return { ...r, output_json: out };
  });
  return { jobs, steps };
}

function _recordedInv(row: _Row): number {
  return Number(/inv=(\d+)/.exec(String(JSON.parse(String(row.output_json)).stderr ?? ""))?.[1]);
}

/**
 * Invariant checked after every kill: a SUCCESS row's invocation finished the step, and a SUCCESS row, once
 * seen, is never replaced by a re-run (`seen` remembers the first invocation recorded per step).
 */
export async function checkRecordedSuccess(
  dir: string,
  query: _Query,
  runId: string,
  seen: Map<string, number>,
): Promise<string[]> {
  const led = await _readLedger(join(dir, `ledger-${runId}.txt`));
  const problems: string[] = [];
  for (const r of await query("SELECT step_id, status, output_json FROM step_runs WHERE run_id = ?", runId)) {
    if (r.status !== "SUCCESS") continue;
    const step = String(r.step_id);
    const inv = _recordedInv(r);
    if (!led.dones.some((d) => d.step === step && d.inv === inv)) {
      problems.push(`${runId}: ${step} recorded SUCCESS (invocation ${inv}) without a done line`);
    }
    const first = seen.get(step);
    if (first === undefined) seen.set(step, inv);
    else if (first !== inv) {
      problems.push(`${runId}: ${step} SUCCESS of invocation ${first} replaced by ${inv}`);
    }
  }
  return problems;
}

/** Final check: each step finished exactly once in the invocation recorded, and never ran after it. */
export async function checkExactlyOnceAfterSuccess(
  dir: string,
  query: _Query,
  runId: string,
  seen: Map<string, number>,
): Promise<string[]> {
  const led = await _readLedger(join(dir, `ledger-${runId}.txt`));
  const problems = await checkRecordedSuccess(dir, query, runId, seen);
  const rows = await query("SELECT step_id, output_json FROM step_runs WHERE run_id = ?", runId);
  for (const r of rows) {
    const inv = _recordedInv(r);
    const sameInv = led.dones.filter((d) => d.step === r.step_id && d.inv === inv).length;
    if (sameInv !== 1) problems.push(`${runId}: ${r.step_id} finished ${sameInv} times in invocation ${inv}`);
    const later = led.starts.filter((s) => s.step === r.step_id && s.inv > inv).length;
    if (later > 0) {
      problems.push(`${runId}: ${r.step_id} ran ${later} more time(s) after its recorded success`);
    }
  }
  const steps = CRASH_JOBS.reduce((n, [, ids]) => n + ids.length, 0);
  if (rows.length !== steps) problems.push(`${runId}: ${rows.length} step rows, want ${steps}`);
  return problems;
}

export interface CrashOptions {
  dir: string;
  seed: number;
  minKills: number;
  /** Progress output (the seed is printed by the caller). */
  log?: (line: string) => void;
  /** Keep the state in this PostgreSQL database instead of `dir/state.sqlite`. */
  stateUrl?: string;
}

export interface CrashReport {
  kills: number;
  runs: number;
  invocations: number;
  problems: string[];
  baselineMs: number;
}

/** Run the whole schedule; returns every invariant violation found (empty = pass). */
export async function crashSchedule(options: CrashOptions): Promise<CrashReport> {
  const pg = options.stateUrl ? await _postgresQuery(options.stateUrl) : undefined;
  try {
    return await _crashSchedule(options, pg?.query ?? _sqliteQuery(options.dir));
  } finally {
    await pg?.close();
  }
}

async function _crashSchedule(options: CrashOptions, query: _Query): Promise<CrashReport> {
  const { dir, stateUrl } = options;
  const rand = prng(options.seed);
  await Deno.writeTextFile(join(dir, "flow.yaml"), crashFlow(dir, stateUrl !== undefined));
  // Baseline: an uninterrupted run, timed to place the kills over a real run's lifetime.
  const t0 = performance.now();
  const base = await _spawn(dir, "baseline", 1, stateUrl).status;
  const baselineMs = performance.now() - t0;
  if (base.code !== 0) {
    return { kills: 0, runs: 0, invocations: 1, problems: ["baseline run failed"], baselineMs };
  }
  const expected = await finalOutputs(query, "baseline");
  const problems: string[] = [];
  let kills = 0;
  let invocations = 0;
  let runs = 0;
  while (kills < options.minKills) {
    const runId = `crash-${++runs}`;
    const seen = new Map<string, number>();
    for (let inv = 1;; inv++) {
      invocations++;
      const child = _spawn(dir, runId, inv, stateUrl);
      // After many kills let it finish, so every schedule terminates.
      const delay = inv > 30 ? Infinity : rand() * baselineMs * 1.1;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = await Promise.race([
        child.status.then(() => false),
        new Promise<boolean>((r) => {
          if (delay !== Infinity) timer = setTimeout(() => r(true), delay);
        }),
      ]);
      clearTimeout(timer);
      if (killed) {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited in between
        }
      }
      const status = await child.status;
      if (killed && status.signal === "SIGKILL") {
        kills++;
        await _killOrphans(join(dir, `ledger-${runId}.txt`), inv);
        problems.push(...await checkRecordedSuccess(dir, query, runId, seen));
        continue;
      }
      if (status.code !== 0) {
        problems.push(`${runId}: invocation ${inv} exited ${status.code}`);
        break;
      }
      problems.push(...await checkExactlyOnceAfterSuccess(dir, query, runId, seen));
      const got = await finalOutputs(query, runId);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        problems.push(`${runId}: final outputs differ from the uninterrupted run`);
      }
      options.log?.(`${runId}: finished after ${inv} invocation(s), ${kills} kills so far`);
      break;
    }
  }
  return { kills, runs, invocations, problems, baselineMs };
}
