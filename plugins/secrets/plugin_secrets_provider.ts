/**
 * The secrets provider backed by a pinned plugin (D10): `aetherflow_decode` (required) and
 * `aetherflow_expand_env` (optional). Every decoded value is a secret: the caller masks it (D18).
 * @module
 */
import type { SecretsProvider } from "../../engine/config/secrets.ts";
import { EXPORTS } from "../abi/mod.ts";

export type { SecretsProvider };

/** The plugin surface the provider needs (a WasmPlugin satisfies it). */
export interface SecretsPlugin {
  hasExport(name: string): boolean;
  decode(value: string): Promise<string>;
  expandEnv(env: Readonly<Record<string, string>>): Promise<Record<string, string>>;
}

/** Wrap a plugin as a SecretsProvider; `expandEnv` is present only when the plugin exports it. */
export function pluginSecretsProvider(plugin: SecretsPlugin): SecretsProvider {
  const provider: SecretsProvider = { decode: (value) => plugin.decode(value) };
  if (plugin.hasExport(EXPORTS.expandEnv)) provider.expandEnv = (env) => plugin.expandEnv(env);
  return provider;
}
