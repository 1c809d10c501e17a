import assert from "node:assert/strict";
import { permissionFlags, selfCommand, type SelfInfo } from "./self_command.ts";

const ALL = { read: true, write: true, net: true, env: true, run: true, ffi: true, sys: true, import: true };
const BASE: SelfInfo = {
  standalone: false,
  execPath: "/usr/bin/deno",
  mainModule: "file:///srv/aetherflow/cli/main.ts",
  granted: ALL,
};

Deno.test("selfCommand() re-invokes a compiled binary as itself", () => {
  assert.deepEqual(selfCommand({ ...BASE, standalone: true, execPath: "/usr/local/bin/aetherflow" }), [
    "/usr/local/bin/aetherflow",
  ]);
});

Deno.test("selfCommand() re-invokes `deno run` with the permissions and the main module", () => {
  assert.deepEqual(selfCommand(BASE), [
    "/usr/bin/deno",
    "run",
    "--allow-all",
    "--v8-flags=--wasm-max-mem-pages=4096",
    "/srv/aetherflow/cli/main.ts",
  ]);
});

Deno.test("permissionFlags() lists granted permissions when not all are", () => {
  assert.deepEqual(permissionFlags({ ...ALL, ffi: false, net: false }), [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    "--allow-import",
  ]);
});

Deno.test("selfCommand() honours the AETHERFLOW_SCHEDULER_SELF_CMD test hook", () => {
  assert.deepEqual(selfCommand({ ...BASE, override: '["/bin/sh","-c","exit 0","sh"]' }), [
    "/bin/sh",
    "-c",
    "exit 0",
    "sh",
  ]);
  assert.throws(() => selfCommand({ ...BASE, override: '"nope"' }), /JSON list of strings/);
});
