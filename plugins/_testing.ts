// Test helpers shared by the plugin tests: a hand-made StepContext and a temp dir with built test plugins.
import type { StepContext } from "../engine/steps/types.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";

export interface LogLine {
  level: string;
  message: string;
}

/** A StepContext whose log lines are collected in `lines`. */
export function testStepContext(
  options: { artifactsDir: string; connectors?: unknown; jobId?: string; stepId?: string },
): { ctx: StepContext; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: string) => (message: string) => lines.push({ level, message });
  const ctx: StepContext = {
    flowId: "demo",
    runId: "R1",
    jobId: options.jobId ?? "job_a",
    stepId: options.stepId ?? "s1",
    env: {},
    jobDir: options.artifactsDir,
    artifactsDir: options.artifactsDir,
    scratchDir: options.artifactsDir,
    manifestsDir: options.artifactsDir,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    locks: { acquire: () => Promise.resolve(true), release: () => {} },
    signal: new AbortController().signal,
    runNested: () => Promise.reject(new Error("no nested steps in plugin tests")),
    addSecret: () => {},
    connectors: options.connectors,
  };
  return { ctx, lines };
}

/** Build test plugins into `dir`; returns name -> {path, sha256}. */
export async function buildPlugins(
  dir: string,
  names: readonly string[],
): Promise<Record<string, { path: string; sha256: string }>> {
  const out: Record<string, { path: string; sha256: string }> = {};
  for (const n of names) out[n] = await writeTestPlugin(n, dir);
  return out;
}
