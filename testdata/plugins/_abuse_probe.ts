// Probe for hostile-plugin tests: in a process of its own, load one plugin, run its step `calls` times with
// `inputs`, then report each outcome and whether the process still burns CPU afterwards (testdata/plugins/
// _threads.ts), as one JSON line. Arguments: wasm path, sha256, grants JSON, inputs JSON, calls.
import { loadWasmPlugin } from "../../plugins/host/wasm_plugin.ts";
import { pluginStepDefinition } from "../../plugins/host/plugin_step.ts";
import { testStepContext } from "../../plugins/_testing.ts";
import type { AetherflowError } from "../../engine/errors.ts";
import { threadActivity } from "./_threads.ts";

const [path = "", sha256 = "", grantsJson = "{}", inputsJson = "{}", calls = "1"] = Deno.args;
const outcome = (err: unknown) => {
  const e = err as AetherflowError;
  return { ok: false, code: e.code, message: e.message, exitCode: e.exitCode };
};
const results: unknown[] = [];
const artifactsDir = await Deno.makeTempDir({ prefix: "af-probe-" });
try {
  const plugin = await loadWasmPlugin({ path, sha256, grants: JSON.parse(grantsJson) });
  results.push({ ok: true, step: "load" });
  const { ctx, lines } = testStepContext({ artifactsDir });
  const def = pluginStepDefinition(plugin, plugin.descriptor.steps[0]!);
  for (let i = 0; i < Number(calls); i++) {
    lines.length = 0;
    try {
      const r = await def.run(JSON.parse(inputsJson), ctx);
      results.push({ ok: true, outputs: r.outputs, lines: [...lines] });
    } catch (err) {
      results.push({ ...outcome(err), lines: [...lines] });
    }
  }
  // The plugin stays loaded (as in a run that goes on): its instances must not keep a thread busy.
  const activity = await threadActivity(Deno.pid, { exclude: [Deno.pid] });
  await plugin.close();
  console.log(JSON.stringify({ results, activity }));
} catch (err) {
  results.push(outcome(err));
  const activity = await threadActivity(Deno.pid, { exclude: [Deno.pid] });
  console.log(JSON.stringify({ results, activity }));
} finally {
  await Deno.remove(artifactsDir, { recursive: true }).catch(() => {});
}
Deno.exit(0);
