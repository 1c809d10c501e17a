/**
 * The connector contract: a definition registered under `kind:driver`, instantiated lazily per resource.
 * @module
 */
import type { JsonValue } from "../types.ts";

/** A resolved resource handed to a connector factory (core.md §5.7 `resources` entry plus its name). */
export interface ConnectorResource {
  name: string;
  kind: string;
  driver: string;
  config: Record<string, unknown>;
  options: Record<string, unknown>;
  decode: Record<string, unknown>;
}

/** A live connector. `call` is the generic entry point plugins reach through `af_connector_call`. */
export interface Connector {
  readonly resource: string;
  call?(method: string, args: JsonValue): Promise<JsonValue>;
  close?(): void | Promise<void>;
}

/** A connector type: built-in or registered by a plugin (`origin` names it in duplicate errors). */
export interface ConnectorDefinition {
  kind: string;
  driver: string;
  origin: string;
  create(resource: ConnectorResource): Connector | Promise<Connector>;
}
