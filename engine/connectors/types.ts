/**
 * The connector contract: a definition registered under `kind:driver`, instantiated lazily per resource, and the
 * typed accessor steps use (see docs/architecture.md "Connector contract").
 * @module
 */
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import type { JsonValue } from "../types.ts";
import type { ConnectorKinds } from "./kinds/mod.ts";

/** A resolved resource handed to a connector factory: the `resources.<name>` entry, rendered and decoded. */
export interface ConnectorResource<Cfg = Record<string, unknown>, Opt = Record<string, unknown>> {
  name: string;
  kind: string;
  driver: string;
  /** Parsed by the definition's `config` schema when it has one. */
  config: Cfg;
  options: Opt;
  decode: Record<string, unknown>;
}

/** What a factory may use besides the resource. */
export interface ConnectorCreateContext {
  /** Aborted when the run is terminated. */
  signal: AbortSignal;
  /** Masked run log of the resource (`aetherflow.connector.<name>`). */
  log: {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  };
  clock: Clock;
  /**
   * Register a value that must be masked everywhere from now on (D18): drivers register their passwords and
   * tokens, since a literal in the flow file is not known to the masker otherwise. Absent: nothing to register.
   */
  addSecret?(value: string): void;
}

/**
 * A live connector. Built-in drivers of a typed kind implement that kind's methods (engine/connectors/kinds/);
 * `call` is the generic entry point (plugins reach it through `af_connector_call`, plugin connectors provide it).
 */
export interface Connector {
  readonly resource: string;
  call?(method: string, args: JsonValue): Promise<JsonValue>;
  close?(): void | Promise<void>;
}

/** A connector type: built-in (engine/connectors/drivers/<kind>_<driver>.ts) or registered by a plugin. */
export interface ConnectorDefinition<
  C extends Connector = Connector,
  Cfg = Record<string, unknown>,
  Opt = Record<string, unknown>,
> {
  kind: string;
  driver: string;
  /** `builtin` or `plugin:<name>@<version>` (named in duplicate errors). */
  origin: string;
  /** Declared methods of a plugin connector (empty = any); built-ins implement their kind's methods. */
  methods?: readonly string[];
  /**
   * `resources.<name>.config` / `.options` schemas, built with engine/inputs field helpers. Checked on raw values
   * at validate time (templated values skipped, the named profile merged) and parsed at create time.
   */
  config?: z.ZodType<Cfg>;
  options?: z.ZodType<Opt>;
  /**
   * The secret values of a config (passwords, tokens, credential headers), given the config as `validate` sees
   * it: profile merged, `{{env.*}}` rendered, decoded values absent. Registered with the masker before the run
   * writes anything, so a secret from a plainly named env key or a literal never reaches the run record.
   */
  secrets?(config: Record<string, unknown>): unknown[];
  /** Build the instance. Heavy npm drivers are imported here with a literal `await import("pkg")`. */
  create(resource: ConnectorResource<Cfg, Opt>, ctx: ConnectorCreateContext): C | Promise<C>;
}

/** A definition of any config type, as the registry stores it. */
// deno-lint-ignore no-explicit-any
export type AnyConnectorDefinition = ConnectorDefinition<Connector, any, any>;

/**
 * Typed access to the run's connectors by resource name (`StepContext.connectors`). Each kind method checks the
 * resource's kind (`Resource <n> is kind=<k>, requested kind=<want>`) and fits plugin connectors to the kind's
 * interface.
 */
export interface ConnectorsApi {
  db(name: string): Promise<ConnectorKinds["db"]>;
  sftp(name: string): Promise<ConnectorKinds["sftp"]>;
  smb(name: string): Promise<ConnectorKinds["smb"]>;
  mail(name: string): Promise<ConnectorKinds["mail"]>;
  archive(name: string): Promise<ConnectorKinds["archive"]>;
  rest(name: string): Promise<ConnectorKinds["rest"]>;
  /** Any kind, untyped (`kind` is still checked). */
  get(kind: string, name: string): Promise<Connector>;
  /** The connector of resource `name` whatever its kind (plugins' `af_connector_call`). */
  named(name: string): Promise<Connector>;
}

/**
 * Identity helper that infers a definition's config/options types from its schemas.
 * @example Usage
 * ```ts
 * import { defineConnector } from "./types.ts";
 * import { fields } from "../inputs/mod.ts";
 * const def = defineConnector({
 *   kind: "demo", driver: "x", origin: "builtin",
 *   config: fields.fixedMap({ url: fields.text() }),
 *   create: (r) => ({ resource: r.name, url: r.config.url }),
 * });
 * ```
 */
export function defineConnector<
  C extends Connector,
  Cfg = Record<string, unknown>,
  Opt = Record<string, unknown>,
>(
  def: ConnectorDefinition<C, Cfg, Opt>,
): ConnectorDefinition<C, Cfg, Opt> {
  return def;
}
