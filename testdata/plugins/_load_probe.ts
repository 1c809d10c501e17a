// Probe: load one plugin in a process of its own and print the outcome as JSON. Used for hostile plugins that
// spin while they start: whatever the host does with their thread happens in the probe, not the test process.
import { loadWasmPlugin } from "../../plugins/host/wasm_plugin.ts";
import type { AetherflowError } from "../../engine/errors.ts";

const [path = "", sha256 = "", grantsJson = "{}"] = Deno.args;
try {
  const plugin = await loadWasmPlugin({ path, sha256, grants: JSON.parse(grantsJson) });
  await plugin.close();
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  const e = err as AetherflowError;
  console.log(JSON.stringify({ ok: false, code: e.code, message: e.message, exitCode: e.exitCode }));
}
Deno.exit(0);
