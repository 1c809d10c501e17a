// Test helper: a StepContext with in-memory locks and a scriptable nested-step runner.
import type { JsonObject } from "../types.ts";
import type { StepContext, StepResult } from "./types.ts";

export interface FakeContextOptions {
  stepId?: string;
  /** Keys currently held by someone else. */
  held?: Set<string>;
  runNested?: (step: { id: string; type: string; inputs: JsonObject }) => Promise<StepResult>;
}

/** A context recording lock calls in `calls`. */
export function fakeContext(options: FakeContextOptions = {}): StepContext & { calls: string[] } {
  const held = options.held ?? new Set<string>();
  const calls: string[] = [];
  const nop = () => {};
  return {
    calls,
    flowId: "f",
    runId: "r",
    jobId: "j",
    stepId: options.stepId ?? "s",
    env: {},
    jobDir: "/nonexistent/j",
    artifactsDir: "/nonexistent/j/artifacts",
    scratchDir: "/nonexistent/j/scratch",
    manifestsDir: "/nonexistent/j/manifests",
    log: { debug: nop, info: nop, warn: (m) => calls.push(`warn ${m}`), error: nop },
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
    signal: new AbortController().signal,
    runNested: options.runNested ?? (() => Promise.resolve({ status: "SUCCESS", outputs: {} })),
    addSecret: nop,
  };
}
