// Benchmark B3: per-call cost of a trivial plugin step (testdata/plugins/t_noop.wat) against the same trivial
// built-in step, through StepDefinition.run, in worker (sandboxed) and foreground (trusted) modes.
// Goal (issue 5): plugin <= 2x built-in + 0.2 ms. Run: `deno run -A scripts/bench/plugins.ts [calls]`.
import createPlugin from "@extism/extism";
import type { StepContext, StepDefinition } from "../../engine/steps/types.ts";
import { loadWasmPlugin, pluginStepDefinition } from "../../plugins/host/mod.ts";
import { testStepContext } from "../../plugins/_testing.ts";
import { writeTestPlugin } from "../../testdata/plugins/build.ts";

const CALLS = Number(Deno.args[0] ?? "2000");
const WARMUP = 100;

const BUILTIN_NOOP: StepDefinition = { type: "noop", origin: "builtin", run: () => ({ outputs: {} }) };
const INPUTS = { a: 1, b: "text", c: [1, 2, 3] };

async function perCallMs(def: StepDefinition, ctx: StepContext): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await def.run(INPUTS, ctx);
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await def.run(INPUTS, ctx);
  return (performance.now() - started) / CALLS;
}

const dir = await Deno.makeTempDir({ prefix: "af-bench-plugins-" });
try {
  const built = await writeTestPlugin("t_noop", dir);
  const { ctx } = testStepContext({ artifactsDir: dir });
  const builtin = await perCallMs(BUILTIN_NOOP, ctx);
  const goal = 2 * builtin + 0.2;
  console.log(
    `B3 calls=${CALLS} (after ${WARMUP} warm-up), goal: plugin <= 2 x built-in + 0.2 ms = ${
      goal.toFixed(4)
    } ms`,
  );
  console.log(`  built-in noop step:        ${(builtin * 1000).toFixed(1)} µs/call`);
  let failed = false;
  for (const mode of ["foreground", "worker"] as const) {
    const plugin = await loadWasmPlugin({ path: built.path, sha256: built.sha256, mode });
    try {
      const ms = await perCallMs(pluginStepDefinition(plugin, plugin.descriptor.steps[0]!), ctx);
      const ok = ms <= goal;
      if (mode === "foreground") failed ||= !ok;
      console.log(
        `  plugin noop (${mode.padEnd(10)}): ${(ms * 1000).toFixed(1)} µs/call ${ok ? "ok" : "OVER GOAL"}`,
      );
    } finally {
      await plugin.close();
    }
  }
  // The floor: a bare Extism 1.0.3 worker call with the same input, no host wrapper at all.
  const raw = await createPlugin({ wasm: [{ data: await Deno.readFile(built.path) }] }, {
    runInWorker: true,
    functions: {
      "extism:host/user": {
        af_log: (_c: unknown, o: bigint) => o,
        af_connector_call: (_c: unknown, o: bigint) => o,
      },
    },
  });
  try {
    const input = JSON.stringify({
      type: "t_noop",
      flow_id: "demo",
      job_id: "job_a",
      run_id: "R1",
      step_id: "s1",
      inputs: INPUTS,
    });
    for (let i = 0; i < WARMUP; i++) await raw.call("aetherflow_step", input);
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) await raw.call("aetherflow_step", input);
    const rawMs = (performance.now() - started) / CALLS;
    console.log(
      `  bare Extism worker call:   ${
        (rawMs * 1000).toFixed(1)
      } µs/call (floor of worker mode on this machine)`,
    );
  } finally {
    await raw.close();
  }
  // Only the foreground result gates: the worker round trip is Extism's own cost.
  if (failed) Deno.exitCode = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
