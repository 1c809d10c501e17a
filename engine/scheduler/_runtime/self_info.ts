// Reads the process facts `selfCommand()` needs; the only Deno.* access for self re-invocation.
import { SELF_CMD_ENV, type SelfInfo } from "../self_command.ts";

const _PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

export function currentSelfInfo(): SelfInfo {
  const granted: Record<string, boolean> = {};
  for (const name of _PERMISSIONS) {
    try {
      granted[name] = Deno.permissions.querySync({ name }).state === "granted";
    } catch {
      granted[name] = false;
    }
  }
  let override: string | undefined;
  try {
    override = Deno.env.get(SELF_CMD_ENV);
  } catch {
    override = undefined;
  }
  return {
    standalone: Deno.build.standalone === true,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    granted,
    override,
  };
}
