// Test kit for runner tests: a real SQLite state file, a captured logger, and tiny test step types.
import { StateStore } from "../state/mod.ts";
import { StepRegistry } from "../steps/registry.ts";
import type { StepDefinition } from "../steps/types.ts";
import type { JsonObject } from "../types.ts";
import { Logger } from "../observe/logger.ts";
import { runFlow } from "./run_flow.ts";
import type { RunFlowOptions, RunnerFlow, RunnerJob, RunOutcome } from "./types.ts";

/** `t_echo` returns its inputs; `t_boom` throws `boom`; `t_status` returns `{status: inputs.status}`. */
export const TEST_STEPS: readonly StepDefinition[] = [
  { type: "t_echo", origin: "test", run: (inputs) => ({ outputs: inputs as JsonObject }) },
  {
    type: "t_boom",
    origin: "test",
    run: () => {
      throw new Error("boom");
    },
  },
  { type: "t_status", origin: "test", run: (inputs) => ({ status: String(inputs.status) }) },
  {
    type: "t_skip",
    origin: "test",
    run: () => ({ status: "SKIPPED", outputs: { has_data: false, count: 0 }, reason: "no data" }),
  },
];

export function testRegistry(extra: readonly StepDefinition[] = []): StepRegistry {
  const reg = StepRegistry.withBuiltins();
  for (const def of [...TEST_STEPS, ...extra]) reg.register(def);
  return reg;
}

export interface Harness extends AsyncDisposable {
  dir: string;
  state: StateStore;
  lines: string[];
  /** Parsed JSON log lines. */
  records(): Record<string, unknown>[];
  events(name?: string): Record<string, unknown>[];
  messages(): string[];
  run(jobs: RunnerJob[], options?: Partial<RunFlowOptions>): Promise<RunOutcome>;
}

export async function harness(cleanup: "never" | "on_success" | "always" = "never"): Promise<Harness> {
  const dir = await Deno.makeTempDir({ prefix: "af-runner-" });
  const state = StateStore.open(`${dir}/state.sqlite`);
  const lines: string[] = [];
  const h: Harness = {
    dir,
    state,
    lines,
    records: () => lines.map((l) => JSON.parse(l)),
    events: (name) => h.records().filter((r) => "event" in r && (name === undefined || r.event === name)),
    messages: () => h.records().filter((r) => "message" in r).map((r) => String(r.message)),
    run: (jobs, options = {}) => {
      const flow: RunnerFlow = {
        flow: {
          id: "demo",
          workspace: {
            root: `${dir}/ws`,
            cleanup_policy: cleanup,
            layout: { artifacts: "artifacts", scratch: "scratch", manifests: "manifests" },
          },
          state: { path: `${dir}/state.sqlite` },
        },
        jobs,
      };
      return runFlow({
        flow,
        flowYaml: "f.yaml",
        statePath: state.path,
        runId: "R",
        snapshot: { HOME: "/h" },
        registry: testRegistry(),
        state,
        logger: new Logger({ format: "json", level: "DEBUG", write: (l) => lines.push(l) }),
        record: { version: "0.0.0-test", host: "test", pid: 1 },
        ...options,
      });
    },
    async [Symbol.asyncDispose]() {
      state.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return h;
}
