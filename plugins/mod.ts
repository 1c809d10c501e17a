/**
 * WASM plugins (D10, D11): the flow loader, the plugin lock, the ABI types and the secrets provider.
 * Nothing here loads the Extism runtime until a plugin is actually configured.
 *
 * @example Usage
 * ```ts ignore
 * import { loadPluginsForFlow } from "./mod.ts";
 * const loaded = await loadPluginsForFlow({ flowPath, snapshot, registry, mode: "internal_fast" });
 * try { ... } finally { await loaded.close(); }
 * ```
 * @module
 */
export {
  type ConnectorRegistryLike,
  type LoadedPluginInfo,
  type LoadedPlugins,
  loadPluginsForFlow,
  type LoadPluginsOptions,
} from "./load_plugins_for_flow.ts";
export {
  findPluginLock,
  PLUGIN_LOCK_ENV,
  PLUGIN_LOCK_FILE,
  type PluginLock,
  type PluginPin,
  readPluginLock,
  type ResolvedPin,
  resolvePins,
  upsertPin,
  writePluginLock,
} from "./lock/mod.ts";
export { ABI_MAJOR, EXPORTS, type GrantsInput, HOST_FUNCTIONS, type PluginDescriptor } from "./abi/mod.ts";
export type { SecretsProvider } from "./secrets/mod.ts";
export type { ConnectorCaller, PluginConnectorDefinition } from "./host/mod.ts";
