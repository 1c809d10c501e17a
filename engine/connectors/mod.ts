/**
 * Connectors: the `kind:driver` registry, the per-kind contracts, config checks and the lazy accessor of a run
 * (docs/architecture.md "Connector contract").
 * @module
 */
export { ConnectorRegistry, unknownConnectorMessage } from "./registry.ts";
export { closeProcessConnectors, ConnectorAccessor, fitToKind } from "./accessor.ts";
export type { AccessorResource, CachePolicy, ConnectorAccessorOptions } from "./accessor.ts";
export { parseResourceConfig, resourceIssues, resourceSecrets } from "./config.ts";
export { probeEndpoint, probeResource } from "./probe.ts";
export type { ProbeableConnector, ProbeOptions, ProbeResult } from "./probe.ts";
export type { RawResource } from "./config.ts";
export { echoConnector } from "./drivers/echo_echo.ts";
export { defineConnector } from "./types.ts";
export type {
  AnyConnectorDefinition,
  Connector,
  ConnectorCreateContext,
  ConnectorDefinition,
  ConnectorResource,
  ConnectorsApi,
} from "./types.ts";
export { CONNECTOR_KINDS, isConnectorKind } from "./kinds/mod.ts";
export { callTyped, toJson } from "./kinds/typed_call.ts";
export type * from "./kinds/mod.ts";
