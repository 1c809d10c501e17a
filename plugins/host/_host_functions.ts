// The `extism:host/user` functions of ABI v1: af_log and af_connector_call (docs/plugin-abi.md "Host functions").
// Built fresh for every instance; they read the scope of the call in progress (calls are serialised).
import type { CallContext } from "@extism/extism";
import { dirname, join, sep as SEP } from "node:path";
import { errorMessage } from "../../engine/errors.ts";
import type { JsonObject } from "../../engine/types.ts";
import { ConnectorCallRequestSchema, HOST_FUNCTIONS, LogRequestSchema } from "../abi/mod.ts";
import type { HostFunction } from "./_instance.ts";
import { rewriteLocalPaths } from "./_local_paths.ts";
import type { CallScope, PluginLogLevel } from "./call_scope.ts";

export interface HostFunctionOptions {
  label: () => string;
  worker: boolean;
  /** Read at call time: the describe instance outlives the grant computed after describe. */
  resources: () => readonly string[];
  maxInputBytes: number;
}

const _LEVELS: Record<string, PluginLogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
};

const _TRAILING_SLASHES_REGEXP = /\/+$/;

export function buildHostFunctions(
  o: HostFunctionOptions,
  currentScope: () => CallScope,
): Record<string, HostFunction> {
  return {
    [HOST_FUNCTIONS.log]: (ctx: CallContext, off: bigint) => {
      const req = _readJson(ctx, off, o.maxInputBytes);
      const parsed = LogRequestSchema.safeParse(req.ok ? req.value : null);
      const scope = currentScope();
      if (!parsed.success) {
        scope.log("warn", `Plugin ${o.label()} sent an invalid af_log request`);
        return ctx.store("{}");
      }
      const { level, message, fields } = parsed.data;
      const tail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      scope.log(_LEVELS[level.toLowerCase()] ?? "info", `${message}${tail}`);
      return ctx.store("{}");
    },
    [HOST_FUNCTIONS.connectorCall]: (ctx: CallContext, off: bigint) => {
      // A reply is stored in host memory the plugin reaches: it is bounded like the plugin's own output.
      const reply = (v: JsonObject) => {
        const text = JSON.stringify(v);
        const size = new TextEncoder().encode(text).byteLength;
        if (size <= o.maxInputBytes) return ctx.store(text);
        return ctx.store(JSON.stringify({
          error:
            `connector reply of ${size} bytes exceeds the cap of ${o.maxInputBytes} bytes (max_output_bytes)`,
        }));
      };
      const req = _readJson(ctx, off, o.maxInputBytes);
      const parsed = ConnectorCallRequestSchema.safeParse(req.ok ? req.value : null);
      if (!parsed.success) return reply({ error: "invalid af_connector_call request" });
      const { resource, method, args } = parsed.data;
      const scope = currentScope();
      if (!o.resources().includes(resource)) {
        scope.log(
          "warn",
          `Plugin ${o.label()} denied af_connector_call to resource '${resource}' (not granted)`,
        );
        return reply({
          error: `resource '${resource}' is not granted to plugin ${o.label()} (grants.resources)`,
        });
      }
      const mapped = _mapPaths(args, scope.dirMap);
      if (typeof mapped === "string") return reply({ error: mapped });
      if (!scope.connectors) return reply({ error: "no connectors are available to this call" });
      // Async host functions exist only in worker mode.
      if (!o.worker) return reply({ error: "af_connector_call needs worker mode" });
      const connectors = scope.connectors;
      return connectors.call(resource, method, mapped).then(
        (result) => reply({ result }),
        (err) => reply({ error: errorMessage(err) }),
      );
    },
  };
}

function _readJson(
  ctx: CallContext,
  off: bigint,
  max: number,
): { ok: true; value: unknown } | { ok: false } {
  const block = ctx.read(off);
  if (!block || (block as unknown as DataView).byteLength > max) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(block.text()) };
  } catch {
    return { ok: false };
  }
}

// Local-path arguments, at any depth, must name a guest path under a granted directory; they are rewritten to
// host paths. A path key holding anything but a string is refused: the connector would take it as a host path.
function _mapPaths(args: JsonObject, dirMap: Readonly<Record<string, string>>): JsonObject | string {
  const out = rewriteLocalPaths(args, (guest) => _toHostPath(guest, dirMap));
  return "args" in out ? out.args : `argument '${out.refused}' is not under a granted directory`;
}

function _toHostPath(guest: string, dirMap: Readonly<Record<string, string>>): string | null {
  if (!guest.startsWith("/") || guest.split("/").includes("..")) return null;
  for (const [g, h] of Object.entries(dirMap)) {
    const root = g.replace(_TRAILING_SLASHES_REGEXP, "");
    if (guest !== g && guest !== root && !guest.startsWith(`${root}/`)) continue;
    const host = join(h, guest.slice(root.length));
    return _staysInside(host, h) ? host : null;
  }
  return null;
}

// A plugin with file access can create symlinks (WASI path_symlink) pointing anywhere; the connector would
// follow them on the host. The deepest existing part of the path must resolve inside the granted directory,
// and no part of it may be a dangling link (the connector could create its target). The plugin is blocked in
// this host call, so it cannot swap the link between this check and the connector's use.
function _staysInside(path: string, root: string): boolean {
  let realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
  } catch {
    return false;
  }
  for (let probe = path;;) {
    try {
      const real = Deno.realPathSync(probe);
      return real === realRoot || real.startsWith(realRoot.endsWith(SEP) ? realRoot : `${realRoot}${SEP}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || _exists(probe)) return false;
    }
    const parent = dirname(probe);
    if (parent === probe) return false;
    probe = parent;
  }
}

/** Whether `path` exists itself (a dangling symlink does). */
function _exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
