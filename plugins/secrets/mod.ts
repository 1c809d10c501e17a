/**
 * Secrets providers implemented by WASM plugins (D10).
 * @module
 */
export {
  pluginSecretsProvider,
  type SecretsPlugin,
  type SecretsProvider,
} from "./plugin_secrets_provider.ts";
