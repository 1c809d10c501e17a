// State backend benchmarks (docs/fleet.md "Cost"), printed as ratios measured in the same process run:
//   B1-PG  B1 (1 job × 1,000 check_items steps through runFlow) with the PostgreSQL state vs the same run with the
//          SQLite state at the same durability (FULL when PostgreSQL flushes each commit, else NORMAL): goal ≤ 3×.
//          check_items has no side effects, so on PostgreSQL its rows are written up to 64 per round trip
//          (docs/state.md "Recording steps").
//   B1-PG-each  the same steps declared to have side effects (a copy of check_items without `sideEffectFree`):
//          one round trip per step, what a flow of steps that do something pays on top of their work.
//   L8     with_lock acquisition rate: 8 processes contending for one key on PostgreSQL (acquire + release
//          rounds per second across all of them), against the same on one SQLite file.
// Each series runs --rounds times, interleaved, and the fastest round is reported (the host is shared).
// PostgreSQL comes from `deno task services start` when running, else the harness starts one for this run.
// Usage: deno run -A scripts/bench/state_backends.ts [--steps N] [--rounds N] [--lock-seconds S]
import { join } from "node:path";
import { loadServicesEnv } from "../../tests/_services.ts";
import { startServices, stopServices } from "../services/mod.ts";
import type { PostgresInfo, ServicesEnv } from "../services/env.ts";
import { openStateBackend, type StateBackend, type StateTarget } from "../../engine/state/mod.ts";
import { StepRegistry } from "../../engine/steps/registry.ts";
import { checkItemsStep } from "../../engine/steps/check_items.ts";
import { Logger } from "../../engine/observe/mod.ts";
import { runFlow } from "../../engine/runner/mod.ts";

function _arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const STEPS = Number(_arg("--steps", "1000"));
const ROUNDS = Math.max(1, Number(_arg("--rounds", "3")));
const LOCK_S = Math.max(1, Number(_arg("--lock-seconds", "5")));
const CONTENDERS = 8;

async function _b1(
  target: StateTarget,
  runId: string,
  dir: string,
  synchronous: "FULL" | "NORMAL" = "FULL",
  stepType = "check_items",
): Promise<number> {
  const state: StateBackend = await openStateBackend(target, { synchronous });
  let bytes = 0;
  const logger = new Logger({ write: (l) => (bytes += l.length) });
  const steps = Array.from(
    { length: STEPS },
    (_, i) => ({ id: `s${i}`, type: stepType, inputs: { items: [1] } }),
  );
  const t0 = performance.now();
  const out = await runFlow({
    flow: {
      flow: {
        id: "bench",
        workspace: {
          root: join(dir, "ws"),
          cleanup_policy: "never",
          layout: { artifacts: "artifacts", scratch: "scratch", manifests: "manifests" },
        },
        state: { path: join(dir, "state.sqlite") },
      },
      jobs: [{ id: "j", steps }],
    },
    flowYaml: "bench.yaml",
    statePath: state.path,
    runId,
    snapshot: {},
    registry: _registry(),
    state,
    logger,
    record: { version: "bench", host: "bench", pid: 0 },
  });
  const ms = performance.now() - t0;
  await state.close();
  if (out.exitCode !== 0 || bytes === 0) throw new Error(`bench run failed: ${JSON.stringify(out)}`);
  return ms;
}

/** The built-in steps, plus `check_items_each`: check_items declared to have side effects. */
function _registry(): StepRegistry {
  const reg = StepRegistry.withBuiltins();
  reg.register({ ...checkItemsStep, type: "check_items_each", sideEffectFree: false });
  return reg;
}

/** Acquisitions per second of one key, summed over 8 contending processes. */
async function _locks(kind: "sqlite" | "postgres", where: string): Promise<number> {
  const script = new URL("./_lock_contender.ts", import.meta.url).pathname;
  // Started together: each process opens its backend first, then all contend from the same instant.
  const from = Date.now() + 4000;
  const until = from + LOCK_S * 1000;
  const children = Array.from({ length: CONTENDERS }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", script, kind, where, String(from), String(until)],
      stdout: "piped",
      stderr: "inherit",
    }).output());
  const outs = await Promise.all(children);
  let total = 0;
  for (const o of outs) {
    if (o.code !== 0) throw new Error(`lock contender failed (${kind})`);
    total += Number(new TextDecoder().decode(o.stdout).trim());
  }
  return total / LOCK_S;
}

let started: ServicesEnv | undefined;
let services = loadServicesEnv();
if (!services?.postgres) {
  started = await startServices({ persistent: false, log: (l) => console.error(`services: ${l}`) });
  services = started;
}
const pg = services.postgres as PostgresInfo | undefined;
const dir = await Deno.makeTempDir({ prefix: "af-bench-state-" });
try {
  if (!pg) throw new Error(`PostgreSQL unavailable: ${services.missing.postgres?.reason}`);
  const { default: postgres } = await import("postgres");
  const dbName = `bench_${crypto.randomUUID().slice(0, 8)}`;
  const adminOpts = {
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    onnotice: () => {},
  };
  const admin = postgres({ ...adminOpts, database: "postgres" });
  await admin.unsafe(`create database ${dbName}`);
  const url = `postgresql://${pg.user}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${dbName}`;
  try {
    console.log(
      `state backends bench: B1 ${STEPS} check_items steps, best of ${ROUNDS}; 8-process lock contention`,
    );
    const best = { sqlite: Infinity, normal: Infinity, pg: Infinity, each: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      const rdir = join(dir, `r${round}`);
      await Deno.mkdir(rdir, { recursive: true });
      best.sqlite = Math.min(
        best.sqlite,
        await _b1({ kind: "sqlite", path: join(rdir, "state.sqlite") }, `B${round}`, rdir),
      );
      best.normal = Math.min(
        best.normal,
        await _b1({ kind: "sqlite", path: join(rdir, "normal.sqlite") }, `N${round}`, rdir, "NORMAL"),
      );
      best.pg = Math.min(best.pg, await _b1({ kind: "postgres", url, schema: "public" }, `B${round}`, rdir));
      best.each = Math.min(
        best.each,
        await _b1({ kind: "postgres", url, schema: "public" }, `E${round}`, rdir, "FULL", "check_items_each"),
      );
    }
    const settings = await admin.unsafe(
      "select current_setting('fsync') as f, current_setting('synchronous_commit') as c",
    );
    const durability = `PostgreSQL fsync=${settings[0]!.f}, synchronous_commit=${settings[0]!.c}`;
    // Like for like: a PostgreSQL that does not flush each commit (the test harness's) is compared with SQLite
    // synchronous=NORMAL, one that does with synchronous=FULL (the default).
    const durable = settings[0]!.f === "on" && settings[0]!.c !== "off";
    const base = durable ? best.sqlite : best.normal;
    const ratio = best.pg / base;
    const us = (ms: number) => `${(ms / STEPS * 1000).toFixed(0)} µs/step`;
    console.log(
      `B1-PG trivial steps: PostgreSQL ${best.pg.toFixed(1)} ms (${us(best.pg)}; ${durability}) vs SQLite ` +
        `synchronous=${durable ? "FULL" : "NORMAL"} ${base.toFixed(1)} ms (${us(base)}) -> ratio ${
          ratio.toFixed(2)
        }× ` +
        `${ratio <= 3 ? "(goal ≤ 3× met)" : "(goal ≤ 3× NOT met)"}; SQLite FULL ${
          best.sqlite.toFixed(1)
        } ms, ` +
        `NORMAL ${best.normal.toFixed(1)} ms`,
    );
    console.log(
      `B1-PG-each (one round trip per step): PostgreSQL ${best.each.toFixed(1)} ms (${
        us(best.each)
      }) -> ratio ${(best.each / base).toFixed(2)}× against the same SQLite`,
    );
    const litePath = join(dir, "locks.sqlite");
    await (await openStateBackend({ kind: "sqlite", path: litePath })).close();
    const lite = await _locks("sqlite", litePath);
    const onPg = await _locks("postgres", url);
    console.log(
      `L8 lock acquisitions, 8 processes on one key: PostgreSQL ${onPg.toFixed(0)}/s, SQLite ${
        lite.toFixed(0)
      }/s ` +
        `-> ratio ${(onPg / lite).toFixed(2)}×`,
    );
  } finally {
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
  if (started) await stopServices(started);
}
