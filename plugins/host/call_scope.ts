/**
 * What a plugin call may reach on the host side while it runs: a logger, connectors (for
 * `af_connector_call`) and the guest-to-host directory map. No Extism import, so the CLI can type-check against
 * it without loading the runtime.
 * @module
 */
import type { ConnectorsApi } from "../../engine/connectors/types.ts";
import { callTyped } from "../../engine/connectors/kinds/typed_call.ts";
import type { StepLogger } from "../../engine/steps/types.ts";
import type { JsonObject, JsonValue } from "../../engine/types.ts";

/** A plugin log call's level: the step logger's method it goes to (the `af_log` levels of docs/plugin-abi.md). */
export type PluginLogLevel = keyof StepLogger;

/** Calls a connector method on a named resource (built-in or plugin connector). */
export interface ConnectorCaller {
  call(resource: string, method: string, args: JsonObject): Promise<JsonValue>;
}

export interface CallScope {
  log: (level: PluginLogLevel, message: string) => void;
  connectors?: ConnectorCaller;
  /** Guest path -> host path of every directory mapped for this call. */
  dirMap: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/**
 * A ConnectorCaller over `StepContext.connectors`: the resource's connector, then its generic `call`, or, for a
 * built-in driver of a typed kind without one, the kind's method of that name (docs/plugin-abi.md
 * "af_connector_call").
 */
export function toConnectorCaller(connectors: ConnectorsApi): ConnectorCaller {
  return {
    async call(resource, method, args) {
      const connector = await connectors.named(resource);
      if (connector.call) return await connector.call(method, args);
      return await callTyped(connector, method, args);
    },
  };
}
