/**
 * Connectors: the `kind:driver` registry and the lazy accessor of the RunContext (core.md §5.7).
 * @module
 */
export { ConnectorRegistry } from "./registry.ts";
export { closeProcessConnectors, ConnectorAccessor } from "./accessor.ts";
export type { AccessorResource, CachePolicy, ConnectorAccessorOptions } from "./accessor.ts";
export { echoConnector } from "./echo.ts";
export type { Connector, ConnectorDefinition, ConnectorResource } from "./types.ts";
