// Test helpers: a complete StepContext (in-memory locks, a fake clock, a real sandbox over the given dirs, no
// connectors unless given) and `runStep`, which parses inputs the way the runner does before calling `run`.
import type { Clock } from "../clock.ts";
import { loadSettings } from "../config/settings.ts";
import { ConnectorAccessor, ConnectorRegistry } from "../connectors/mod.ts";
import type { ConnectorsApi } from "../connectors/types.ts";
import type { JsonObject } from "../types.ts";
import { parseStepInputs } from "./inputs.ts";
import { createStepPaths } from "./sandbox.ts";
import type { StepContext, StepDefinition, StepResult } from "./types.ts";

/** A clock whose `sleep` returns at once and advances time; `slept` records each wait in ms. */
export function fakeClock(start = 1_700_000_000_000): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    monotonic: () => now - start,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

export interface FakeContextOptions {
  stepId?: string;
  /** Keys currently held by someone else. */
  held?: Set<string>;
  runNested?: (step: { id: string; type: string; inputs: JsonObject }) => Promise<StepResult>;
  /** Default a path that does not exist. */
  workRoot?: string;
  /** Default `<workRoot>/f/j/r`. */
  jobDir?: string;
  env?: Record<string, string>;
  connectors?: ConnectorsApi;
  clock?: Clock;
  signal?: AbortSignal;
  log?: StepContext["log"];
}

/** A context recording lock calls and warnings in `calls`. */
export function fakeContext(options: FakeContextOptions = {}): StepContext & { calls: string[] } {
  const held = options.held ?? new Set<string>();
  const calls: string[] = [];
  const nop = () => {};
  const workRoot = options.workRoot ?? "/nonexistent";
  const jobDir = options.jobDir ?? `${workRoot}/f/j/r`;
  const env = options.env ?? {};
  const artifactsDir = `${jobDir}/artifacts`;
  return {
    calls,
    flowId: "f",
    runId: "r",
    jobId: "j",
    stepId: options.stepId ?? "s",
    env,
    workRoot,
    jobDir,
    artifactsDir,
    scratchDir: `${jobDir}/scratch`,
    manifestsDir: `${jobDir}/manifests`,
    settings: loadSettings({}, { overrides: { work_root: workRoot } }),
    clock: options.clock ?? fakeClock(),
    paths: createStepPaths({ artifactsDir, workRoot, env }),
    log: options.log ?? { debug: nop, info: nop, warn: (m) => calls.push(`warn ${m}`), error: nop },
    locks: {
      acquire(key, o) {
        calls.push(`acquire ${key} ttl=${o.ttlSeconds} wait=${o.waitSeconds ?? 0}`);
        if (held.has(key)) return Promise.resolve(false);
        held.add(key);
        return Promise.resolve(true);
      },
      release(key) {
        calls.push(`release ${key}`);
        held.delete(key);
      },
    },
    signal: options.signal ?? new AbortController().signal,
    runNested: options.runNested ?? (() => Promise.resolve({ status: "SUCCESS", outputs: {} })),
    addSecret: nop,
    connectors: options.connectors ?? ConnectorAccessor.empty(ConnectorRegistry.withBuiltins()),
  };
}

/** Parse rendered `inputs` with the step's schema, then run it (what the runner does after rendering). */
export async function runStep<I>(
  def: StepDefinition<I>,
  inputs: Record<string, unknown>,
  ctx: StepContext,
): Promise<StepResult> {
  return await def.run(parseStepInputs(def, inputs, ctx.stepId), ctx);
}
