// Probe: load one plugin in a process of its own and print the outcome as JSON. Used for hostile plugins whose
// stuck Extism worker cannot be terminated (a `start` function that never returns): the process exit ends it,
// so the test process does not keep a spinning thread.
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
