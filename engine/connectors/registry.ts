/**
 * The connector registry, keyed `kind:driver`: the built-ins plus what plugins register (docs/plugins.md).
 * @module
 */
import { AetherflowError } from "../errors.ts";
import { BUILTIN_CONNECTORS } from "./builtins.ts";
import type { AnyConnectorDefinition } from "./types.ts";

function _key(kind: string, driver: string): string {
  return `${kind}:${driver}`;
}

/** `Unknown connector: <kind>:<driver>. Loaded: <JSON list, sorted>` (the validate and run message). */
export function unknownConnectorMessage(kind: string, driver: string, loaded: readonly string[]): string {
  return `Unknown connector: ${_key(kind, driver)}. Loaded: ${JSON.stringify(loaded)}`;
}

/** Registered connector types. A second registration of a `kind:driver` is refused [ours]. */
export class ConnectorRegistry {
  #defs = new Map<string, AnyConnectorDefinition>();

  /** A registry holding the built-in connectors. */
  static withBuiltins(): ConnectorRegistry {
    const reg = new ConnectorRegistry();
    for (const def of BUILTIN_CONNECTORS) reg.register(def);
    return reg;
  }

  /** @throws {AetherflowError} `connector:duplicate`: `Connector <k>:<d> already registered by <origin>`. */
  register(def: AnyConnectorDefinition): void {
    const key = _key(def.kind, def.driver);
    const existing = this.#defs.get(key);
    if (existing) {
      throw new AetherflowError(`Connector ${key} already registered by ${existing.origin}`, {
        code: "connector:duplicate",
      });
    }
    this.#defs.set(key, def);
  }

  has(kind: string, driver: string): boolean {
    return this.#defs.has(_key(kind, driver));
  }

  /** The definition, or undefined. */
  find(kind: string, driver: string): AnyConnectorDefinition | undefined {
    return this.#defs.get(_key(kind, driver));
  }

  /** @throws {AetherflowError} `connector:unknown`: `Unknown connector: <k>:<d>. Loaded: <JSON list, sorted>`. */
  get(kind: string, driver: string): AnyConnectorDefinition {
    const def = this.#defs.get(_key(kind, driver));
    if (def) return def;
    throw new AetherflowError(unknownConnectorMessage(kind, driver, this.keys()), {
      code: "connector:unknown",
    });
  }

  /** Every registered `kind:driver`, sorted. */
  keys(): string[] {
    return [...this.#defs.keys()].sort();
  }

  /** Every registered definition, in `keys()` order. */
  definitions(): AnyConnectorDefinition[] {
    return this.keys().map((k) => this.#defs.get(k)!);
  }
}
