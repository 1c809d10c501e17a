/**
 * What a plugin call may reach on the host side while it runs: a logger, connectors (for
 * `af_connector_call`) and the guest-to-host directory map. Types only; no Extism import, so the CLI can
 * type-check against it without loading the runtime.
 * @module
 */
import type { JsonObject, JsonValue } from "../../engine/types.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Calls a connector method on a named resource (built-in or plugin connector). */
export interface ConnectorCaller {
  call(resource: string, method: string, args: JsonObject): Promise<JsonValue>;
}

export interface CallScope {
  log: (level: LogLevel, message: string) => void;
  connectors?: ConnectorCaller;
  /** Guest path -> host path of every directory mapped for this call. */
  dirMap: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/** Whether `value` looks like a {@link ConnectorCaller}. */
function _isConnectorCaller(value: unknown): value is ConnectorCaller {
  return typeof value === "object" && value !== null &&
    typeof (value as { call?: unknown }).call === "function";
}

interface _NamedConnectors {
  named(name: string): Promise<{ call?(method: string, args: JsonValue): Promise<JsonValue> }>;
}

/**
 * A ConnectorCaller over `StepContext.connectors` (typed loosely there): either a caller already, or the
 * runner's ConnectorAccessor (`named(resource)` then the connector's generic `call`).
 */
export function toConnectorCaller(value: unknown): ConnectorCaller | undefined {
  if (_isConnectorCaller(value)) return value;
  if (typeof value !== "object" || value === null) return undefined;
  if (typeof (value as { named?: unknown }).named !== "function") return undefined;
  const accessor = value as _NamedConnectors;
  return {
    async call(resource, method, args) {
      const connector = await accessor.named(resource);
      if (!connector.call) throw new Error(`the connector of resource '${resource}' has no generic call`);
      return await connector.call(method, args);
    },
  };
}
