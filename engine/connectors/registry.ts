/**
 * The connector registry, keyed `kind:driver` (core.md §5.7, §7.5).
 * @module
 */
import { AetherflowError } from "../errors.ts";
import { BUILTIN_CONNECTORS } from "./_builtins.ts";
import type { ConnectorDefinition } from "./types.ts";

function _key(kind: string, driver: string): string {
  return `${kind}:${driver}`;
}

/** Registered connector types. A second registration of a `kind:driver` is refused [ours]. */
export class ConnectorRegistry {
  #defs = new Map<string, ConnectorDefinition>();

  /** A registry holding the built-in connectors. */
  static withBuiltins(): ConnectorRegistry {
    const reg = new ConnectorRegistry();
    for (const def of BUILTIN_CONNECTORS) reg.register(def);
    return reg;
  }

  /** @throws {AetherflowError} `connector:duplicate`: `Connector <k>:<d> already registered by <origin>`. */
  register(def: ConnectorDefinition): void {
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

  /** @throws {AetherflowError} `connector:unknown`: `Unknown connector <k>:<d>. Known: <JSON list, sorted>`. */
  get(kind: string, driver: string): ConnectorDefinition {
    const def = this.#defs.get(_key(kind, driver));
    if (def) return def;
    throw new AetherflowError(
      `Unknown connector ${_key(kind, driver)}. Known: ${JSON.stringify(this.keys())}`,
      {
        code: "connector:unknown",
      },
    );
  }

  /** Every registered `kind:driver`, sorted. */
  keys(): string[] {
    return [...this.#defs.keys()].sort();
  }
}
