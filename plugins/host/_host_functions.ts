// The `extism:host/user` functions of ABI v1: af_log and af_connector_call (plugin-abi.md "Host functions").
// Built fresh for every instance; they read the scope of the call in progress (calls are serialised).
import type { CallContext } from "@extism/extism";
import { errorMessage } from "../../engine/errors.ts";
import type { JsonObject, JsonValue } from "../../engine/types.ts";
import { ConnectorCallRequestSchema, HOST_FUNCTIONS, LogRequestSchema } from "../abi/mod.ts";
import type { HostFunction } from "./_instance.ts";
import type { CallScope, LogLevel } from "./call_scope.ts";

export interface HostFunctionOptions {
  label: () => string;
  worker: boolean;
  /** Read at call time: the describe instance outlives the grant computed after describe. */
  resources: () => readonly string[];
  maxInputBytes: number;
}

const _LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
};

/** Keys whose values are local file paths in connector arguments (mapped from guest to host paths). */
const _PATH_KEY_REGEXP = /^(local|local_path|local_file|local_dir)$|_local_path$/;

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
      const reply = (v: JsonObject) => ctx.store(JSON.stringify(v));
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
      // Async host functions exist only in worker mode (stack-notes.md §2).
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

// Local-path arguments must name a guest path under a granted directory; they are rewritten to host paths.
function _mapPaths(args: JsonObject, dirMap: Readonly<Record<string, string>>): JsonObject | string {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(args)) {
    if (!_PATH_KEY_REGEXP.test(key) || typeof value !== "string") {
      out[key] = value as JsonValue;
      continue;
    }
    const host = _toHostPath(value, dirMap);
    if (host === null) return `argument '${key}' is not under a granted directory`;
    out[key] = host;
  }
  return out;
}

function _toHostPath(guest: string, dirMap: Readonly<Record<string, string>>): string | null {
  if (guest.split("/").includes("..")) return null;
  for (const [g, h] of Object.entries(dirMap)) {
    if (guest === g) return h;
    if (guest.startsWith(g.endsWith("/") ? g : `${g}/`)) return `${h}${guest.slice(g.length)}`;
  }
  return null;
}
