// Probe for the loader's fast path: run with read permission only. Extism reads env vars when its module loads,
// so if loadPluginsForFlow imported it, this process would fail on the missing --allow-env.
import { loadPluginsForFlow } from "../../plugins/mod.ts";
import { StepRegistry } from "../../engine/steps/registry.ts";

const [flowPath = "", lock = ""] = Deno.args;
const snapshot: Record<string, string> = lock ? { AETHERFLOW_PLUGIN_LOCK: lock } : {};
const loaded = await loadPluginsForFlow({
  flowPath,
  snapshot,
  registry: StepRegistry.withBuiltins(),
  mode: "internal_fast",
});
await loaded.close();
console.log(`loaded ${loaded.plugins.length}`);
