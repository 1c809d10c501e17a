/**
 * How the scheduler re-invokes "the same program" for each fire (B.4) [D13].
 *
 * Detection: `Deno.build.standalone` is true inside a `deno compile` binary, whose `Deno.execPath()` is the
 * aetherflow binary itself -> `[execPath]`. Otherwise we run under `deno run … cli/main.ts`: `Deno.execPath()` is
 * the deno binary -> `[deno, "run", <permission flags>, <v8 flags>, <main module path>]`. Permission flags cannot be
 * read back from argv, so they are rebuilt from the granted permissions (all granted -> `--allow-all`).
 * Test hook: `AETHERFLOW_SCHEDULER_SELF_CMD` (a JSON list of strings) replaces the whole prefix.
 * @module
 */
import { fileURLToPath } from "node:url";

export const SELF_CMD_ENV = "AETHERFLOW_SCHEDULER_SELF_CMD";

/** The facts about the current process that decide the command (read by `_runtime/self_info.ts`). */
export interface SelfInfo {
  readonly standalone: boolean;
  readonly execPath: string;
  readonly mainModule: string;
  /** Permission name -> granted (`read`, `write`, `net`, `env`, `run`, `ffi`, `sys`, `import`). */
  readonly granted: Readonly<Record<string, boolean>>;
  /** Value of `AETHERFLOW_SCHEDULER_SELF_CMD`, if set. */
  readonly override?: string;
}

/** V8 flags the project's own `deno task aetherflow` passes (WASM plugins need the larger memory cap). */
const _V8_FLAGS = "--v8-flags=--wasm-max-mem-pages=4096";

/**
 * The argv prefix that starts this program again.
 * @throws Error when the override is not a non-empty JSON list of strings
 */
export function selfCommand(info: SelfInfo): string[] {
  if (info.override !== undefined && info.override !== "") {
    const parsed: unknown = JSON.parse(info.override);
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === "string")) {
      throw new Error(`${SELF_CMD_ENV} must be a non-empty JSON list of strings`);
    }
    return parsed as string[];
  }
  if (info.standalone) return [info.execPath];
  const main = info.mainModule.startsWith("file:") ? fileURLToPath(info.mainModule) : info.mainModule;
  return [info.execPath, "run", ...permissionFlags(info.granted), _V8_FLAGS, main];
}

/** `--allow-all` when everything is granted, else one `--allow-<name>` per granted permission. */
export function permissionFlags(granted: Readonly<Record<string, boolean>>): string[] {
  const names = Object.keys(granted);
  if (names.length > 0 && names.every((n) => granted[n])) return ["--allow-all"];
  return names.filter((n) => granted[n]).map((n) => `--allow-${n}`);
}
