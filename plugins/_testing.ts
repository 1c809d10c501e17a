// Test helpers shared by the plugin tests: a hand-made StepContext and a temp dir with built test plugins.
import { SYSTEM_CLOCK } from "../engine/clock.ts";
import { loadSettings } from "../engine/config/settings.ts";
import { ConnectorAccessor, ConnectorRegistry, type ConnectorsApi } from "../engine/connectors/mod.ts";
import { createStepPaths } from "../engine/steps/sandbox.ts";
import type { StepContext } from "../engine/steps/types.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";
import type { ConnectorCaller } from "./host/call_scope.ts";

/** A ConnectorsApi whose every resource forwards generic calls to `caller` (no kind checks). */
function _viaCaller(caller: ConnectorCaller): ConnectorsApi {
  const empty = ConnectorAccessor.empty(ConnectorRegistry.withBuiltins());
  const named = (name: string) =>
    Promise.resolve({
      resource: name,
      call: (method: string, args: unknown) => caller.call(name, method, args as never),
    });
  return {
    db: (n) => empty.db(n),
    sftp: (n) => empty.sftp(n),
    smb: (n) => empty.smb(n),
    mail: (n) => empty.mail(n),
    archive: (n) => empty.archive(n),
    rest: (n) => empty.rest(n),
    get: (_kind, name) => named(name),
    named,
  };
}

/**
 * `timeout_ms` for tests whose hostile plugin must run into it. The limit is wall-clock guest time, and the
 * plugin's benign calls (describe) run under it too: at most 45 ms measured at load 18 on 2 cores, so one second
 * leaves room on a loaded machine while a loop still hits it at once.
 */
export const HOSTILE_TIMEOUT_MS = 1_000;

export interface LogLine {
  level: string;
  message: string;
}

/** A StepContext whose log lines are collected in `lines`. */
export function testStepContext(
  options: {
    artifactsDir: string;
    connectors?: ConnectorsApi | ConnectorCaller;
    jobId?: string;
    stepId?: string;
  },
): { ctx: StepContext; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: string) => (message: string) => lines.push({ level, message });
  const ctx: StepContext = {
    flowId: "demo",
    runId: "R1",
    jobId: options.jobId ?? "job_a",
    stepId: options.stepId ?? "s1",
    env: {},
    workRoot: options.artifactsDir,
    jobDir: options.artifactsDir,
    artifactsDir: options.artifactsDir,
    scratchDir: options.artifactsDir,
    manifestsDir: options.artifactsDir,
    settings: loadSettings({}, { overrides: { work_root: options.artifactsDir } }),
    clock: SYSTEM_CLOCK,
    paths: createStepPaths({ artifactsDir: options.artifactsDir, workRoot: options.artifactsDir, env: {} }),
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    locks: { acquire: () => Promise.resolve(true), release: () => {} },
    signal: new AbortController().signal,
    runNested: () => Promise.reject(new Error("no nested steps in plugin tests")),
    addSecret: () => {},
    connectors: options.connectors === undefined
      ? ConnectorAccessor.empty(ConnectorRegistry.withBuiltins())
      : "named" in options.connectors
      ? options.connectors
      : _viaCaller(options.connectors),
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
