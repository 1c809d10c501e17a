/**
 * The Extism plugin host (D11): loading pinned plugins, the sandbox limits, plugin steps and connectors.
 * Importing this module loads `@extism/extism`; the flow loader imports it dynamically, only when a plugin is
 * configured, to keep CLI start-up fast.
 * @module
 */
export { loadWasmPlugin, type LoadWasmPluginOptions, type PluginRunMode, WasmPlugin } from "./wasm_plugin.ts";
export {
  type PluginConnectorDefinition,
  pluginConnectorDefinition,
  pluginStepDefinition,
} from "./plugin_step.ts";
export {
  type CallScope,
  type ConnectorCaller,
  type PluginLogLevel,
  toConnectorCaller,
} from "./call_scope.ts";
export {
  DEFAULT_LIMITS,
  type EffectiveGrants,
  effectiveGrants,
  hostAllowed,
  LIMIT_CEILINGS,
} from "./grants.ts";
export { capMemoryPages, sha256Hex, WASM_PAGE_BYTES } from "./wasm_bytes.ts";
