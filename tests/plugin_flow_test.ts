// A flow mixing built-in steps, plugin steps and a plugin connector runs, fails once, resumes by run id and
// records its plugins — driven in-process through the public engine API (validateFlow + runFlow) with the
// registry that loadPluginsForFlow filled, as `aetherflow run` does once the loader is wired.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor } from "../engine/connectors/accessor.ts";
import { ConnectorRegistry } from "../engine/connectors/registry.ts";
import { Logger } from "../engine/observe/logger.ts";
import { renderFlowMeta, runFlow } from "../engine/runner/mod.ts";
import type { RunnerFlow } from "../engine/runner/mod.ts";
import { validateFlow } from "../engine/flow/mod.ts";
import { StateStore } from "../engine/state/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import { loadPluginsForFlow } from "../plugins/mod.ts";
import { writePluginLock } from "../plugins/lock/mod.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";
import { tempDir } from "./_helpers.ts";

const FLOW = (root: string) => `
flow:
  id: demo
  workspace: {root: ${root}/ws, cleanup_policy: never}
  state: {path: ${root}/state.sqlite}
resources:
  r1: {kind: test, driver: t_resources, config: {base: "http://x"}}
jobs:
  - id: job_a
    steps:
      - {id: s1, type: check_items, inputs: {items: [1, 2]}}
      - {id: s2, type: t_echo, inputs: {num: "{{steps.s1.count}}"}}
      - {id: s3, type: t_failonce, inputs: {marker: done, x: "{{steps.s2.num}}"}}
  - id: job_b
    depends_on: [job_a]
    steps:
      - {id: c1, type: t_conn, inputs: {resource: r1, args: {q: 1}}}
`;

async function runOnce(
  root: string,
  flowPath: string,
): Promise<{ code: number; lines: string[]; state: StateStore }> {
  const snapshot = { HOME: "/tmp" };
  const registry = StepRegistry.withBuiltins();
  const connectors = ConnectorRegistry.withBuiltins();
  const loaded = await loadPluginsForFlow({
    flowPath,
    snapshot,
    registry,
    connectors,
    mode: "internal_fast",
  });
  const lines: string[] = [];
  const state = StateStore.open(join(root, "state.sqlite"));
  try {
    const report = await validateFlow({ flowPath, snapshot, registry });
    assert.ok(report.ok && report.flow, JSON.stringify(report.errors));
    const flow = report.flow;
    const outcome = await runFlow({
      flow: { flow: renderFlowMeta(flow.flow, snapshot), jobs: flow.jobs } as RunnerFlow,
      flowYaml: flowPath,
      statePath: state.path,
      runId: "R",
      snapshot,
      registry,
      state,
      logger: new Logger({ format: "text", level: "INFO", write: (l) => lines.push(l) }),
      record: { version: "test", host: "test", pid: 1, plugins: loaded.plugins },
      prepareResources: () => {
        const accessor = new ConnectorAccessor({
          registry: connectors,
          resources: {
            r1: {
              kind: "test",
              driver: "t_resources",
              config: { base: "http://x" },
              options: {},
              decode: {},
            },
          },
          settings: { connector_cache_disabled: false, connector_cache_default: "run" },
        });
        return { connectors: accessor, close: async () => void (await accessor.closeAll()) };
      },
    });
    return { code: outcome.exitCode, lines, state };
  } catch (err) {
    state.close();
    throw err;
  } finally {
    await loaded.close();
  }
}

Deno.test("a flow of built-in and plugin steps with a plugin connector runs and resumes", async () => {
  await using dir = await tempDir();
  const root = dir.path;
  const pins = [];
  for (const name of ["t_echo", "t_failonce", "t_conn", "t_resources"]) {
    const b = await writeTestPlugin(name, root);
    const grants = name === "t_failonce"
      ? { files: "artifacts" as const }
      : name === "t_conn"
      ? { resources: ["r1"] }
      : undefined;
    pins.push({ path: `${name}.wasm`, sha256: b.sha256, ...(grants ? { grants } : {}) });
  }
  await writePluginLock({ file: join(root, "aetherflow.plugins.yaml"), plugins: pins });
  const flowPath = join(root, "flow.yaml");
  await Deno.writeTextFile(flowPath, FLOW(root));

  const first = await runOnce(root, flowPath);
  try {
    assert.equal(first.code, 1, first.lines.join("\n"));
    assert.equal(first.state.getJobRecord("job_a", "R")?.status, "FAILED");
    assert.match(
      first.state.getJobRecord("job_a", "R")?.error ?? "",
      /t_failonce@1\.0\.0 failed: marker created/,
    );
    assert.ok(first.lines.some((l) => l.includes('ECHO job_a s2 {"num":2}')), first.lines.join("\n"));
    assert.deepEqual(
      first.state.getRun("R")?.plugins?.map((p) => p.name),
      ["t_echo", "t_failonce", "t_conn", "t_resources"],
    );
  } finally {
    first.state.close();
  }

  const second = await runOnce(root, flowPath);
  try {
    assert.equal(second.code, 0, second.lines.join("\n"));
    assert.ok(
      second.lines.some((l) => l.includes("Step skip (resume) step_id=s2 prev=SUCCESS")),
      second.lines.join("\n"),
    );
    assert.deepEqual(second.state.getStepRecord("job_a", "R", "s3")?.output, { marker: "found" });
    const c1 = second.state.getStepRecord("job_b", "R", "c1")?.output;
    assert.deepEqual(c1, {
      response: {
        result: {
          resource: "r1",
          kind: "test",
          driver: "t_resources",
          config: { base: "http://x" },
          options: {},
          method: "echo",
          args: { q: 1 },
        },
      },
    });
  } finally {
    second.state.close();
  }
});
