/**
 * The lazy connector accessor of a run (`StepContext.connectors`): instances are created on first use, cached per
 * the cache policy `none` | `run` | `process` (docs/configuration.md "Connector cache"), and fitted to the typed
 * interface of their kind.
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "../clock.ts";
import { AetherflowError } from "../errors.ts";
import { parseResourceConfig } from "./config.ts";
import { CONNECTOR_KINDS, type ConnectorKind, type ConnectorKinds } from "./kinds/mod.ts";
import type { ConnectorRegistry } from "./registry.ts";
import type {
  AnyConnectorDefinition,
  Connector,
  ConnectorCreateContext,
  ConnectorResource,
  ConnectorsApi,
} from "./types.ts";

export type CachePolicy = "none" | "run" | "process";

/** The resource fields the accessor needs (a `BuiltResource` fits). */
export type AccessorResource = Omit<ConnectorResource, "name">;

export interface ConnectorAccessorOptions {
  registry: ConnectorRegistry;
  resources: Readonly<Record<string, AccessorResource>>;
  /** `connector_cache_disabled` and `connector_cache_default` from settings. */
  settings: { connector_cache_disabled: boolean; connector_cache_default: string };
  /** Handed to factories; default: a never-aborted signal, a silent log, the system clock. */
  signal?: AbortSignal;
  log?: (resource: string) => ConnectorCreateContext["log"];
  clock?: Clock;
  /** The run's masker (D18): drivers register the secrets of their config. */
  addSecret?: (value: string) => void;
}

interface _Created {
  def: AnyConnectorDefinition;
  instance: Connector;
}

// Process-wide instances, keyed (kind, driver, name); shared by every run of this process (scheduler).
const _processCache = new Map<string, Promise<_Created>>();

/** Close every process-cached connector (at process exit). Errors are collected, not thrown one by one. */
export async function closeProcessConnectors(): Promise<unknown[]> {
  const all = [..._processCache.values()];
  _processCache.clear();
  return await _closeAll(all);
}

async function _closeAll(instances: Promise<_Created>[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const p of instances) {
    const created = await p.catch(() => undefined); // a failed creation was already reported to its caller
    try {
      await created?.instance.close?.();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

const _SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Fit an instance to its kind's interface: a built-in driver implements it already; a plugin connector (a
 * generic `call`) is adapted, provided it declares the kind's required methods.
 */
export function fitToKind<K extends ConnectorKind>(
  kind: K,
  created: { def: AnyConnectorDefinition; instance: Connector },
): ConnectorKinds[K] {
  const contract = CONNECTOR_KINDS[kind];
  const { def, instance } = created;
  const target = instance as unknown as Record<string, unknown>;
  if (contract.required.every((m) => typeof target[m] === "function")) return instance as ConnectorKinds[K];
  const declared = def.methods ?? [];
  const lacking = declared.length === 0 ? [] : contract.required.filter((m) => !declared.includes(m));
  if (!instance.call || lacking.length > 0) {
    const missing = instance.call
      ? lacking
      : contract.required.filter((m) => typeof target[m] !== "function");
    throw new AetherflowError(
      `Connector ${def.kind}:${def.driver} (${def.origin}) lacks the ${kind} methods ${
        JSON.stringify(missing)
      }`,
      { code: "connector:methods" },
    );
  }
  const call = instance.call.bind(instance);
  return contract.fromCall({ resource: instance.resource, call, close: instance.close?.bind(instance) });
}

/** Lazy access to connectors by resource name. */
export class ConnectorAccessor implements ConnectorsApi {
  #opts: ConnectorAccessorOptions;
  #runCache = new Map<string, Promise<_Created>>();
  #owned: Promise<_Created>[] = [];

  constructor(options: ConnectorAccessorOptions) {
    this.#opts = options;
  }

  /** An accessor without resources (every lookup is `Unknown resource`). */
  static empty(registry: ConnectorRegistry): ConnectorAccessor {
    return new ConnectorAccessor({
      registry,
      resources: {},
      settings: { connector_cache_disabled: false, connector_cache_default: "run" },
    });
  }

  /** The effective policy: explicit, else `none` if disabled, else `options.cache`, else the default. */
  cachePolicy(name: string, cache?: string): CachePolicy {
    const res = this.#resource(name);
    let policy = cache;
    if (policy === undefined) {
      if (this.#opts.settings.connector_cache_disabled) policy = "none";
      else if (typeof res.options.cache === "string") policy = res.options.cache;
      else policy = this.#opts.settings.connector_cache_default;
    }
    const p = policy.trim().toLowerCase();
    return p === "none" || p === "process" ? p : "run"; // anything else = per run
  }

  /**
   * The connector for resource `name`, checking its kind.
   * @throws {AetherflowError} `Unknown resource: <name>. Known: [...]`,
   * `Resource <name> is kind=<k>, requested kind=<kind>`, or `Unknown connector: <k>:<d>. Loaded: [...]`.
   */
  async get(kind: string, name: string, cache?: string): Promise<Connector> {
    return (await this.#get(kind, name, cache)).instance;
  }

  /** The connector for resource `name` without a kind check. */
  async named(name: string, cache?: string): Promise<Connector> {
    return (await this.#named(name, cache)).instance;
  }

  db(name: string): Promise<ConnectorKinds["db"]> {
    return this.#typed("db", name);
  }
  rest(name: string): Promise<ConnectorKinds["rest"]> {
    return this.#typed("rest", name);
  }
  sftp(name: string): Promise<ConnectorKinds["sftp"]> {
    return this.#typed("sftp", name);
  }
  smb(name: string): Promise<ConnectorKinds["smb"]> {
    return this.#typed("smb", name);
  }
  mail(name: string): Promise<ConnectorKinds["mail"]> {
    return this.#typed("mail", name);
  }
  archive(name: string): Promise<ConnectorKinds["archive"]> {
    return this.#typed("archive", name);
  }

  /** Close every instance this accessor created (run and `none` policies); process-cached ones stay open. */
  async closeAll(): Promise<unknown[]> {
    const owned = this.#owned;
    this.#owned = [];
    this.#runCache.clear();
    return await _closeAll(owned);
  }

  async #typed<K extends ConnectorKind>(kind: K, name: string): Promise<ConnectorKinds[K]> {
    return fitToKind(kind, await this.#get(kind, name));
  }

  async #get(kind: string, name: string, cache?: string): Promise<_Created> {
    const res = this.#resource(name);
    if (res.kind !== kind) {
      throw new AetherflowError(`Resource ${name} is kind=${res.kind}, requested kind=${kind}`, {
        code: "connector:kind_mismatch",
      });
    }
    return await this.#named(name, cache);
  }

  #named(name: string, cache?: string): Promise<_Created> {
    let res: AccessorResource;
    let policy: CachePolicy;
    try {
      res = this.#resource(name);
      policy = this.cachePolicy(name, cache);
    } catch (err) {
      return Promise.reject(err);
    }
    if (policy === "process") {
      const key = JSON.stringify([res.kind, res.driver, name]);
      let hit = _processCache.get(key);
      if (!hit) {
        hit = this.#create(name, res);
        _processCache.set(key, hit);
        hit.catch(() => _processCache.delete(key));
      }
      return hit;
    }
    if (policy === "run") {
      let hit = this.#runCache.get(name);
      if (!hit) {
        hit = this.#create(name, res);
        this.#runCache.set(name, hit);
        this.#owned.push(hit);
        hit.catch(() => this.#runCache.delete(name));
      }
      return hit;
    }
    const fresh = this.#create(name, res);
    this.#owned.push(fresh);
    return fresh;
  }

  #resource(name: string): AccessorResource {
    const res = Object.hasOwn(this.#opts.resources, name) ? this.#opts.resources[name] : undefined;
    if (res) return res;
    const known = Object.keys(this.#opts.resources).sort();
    throw new AetherflowError(`Unknown resource: ${name}. Known: ${JSON.stringify(known)}`, {
      code: "connector:unknown_resource",
    });
  }

  async #create(name: string, res: AccessorResource): Promise<_Created> {
    const def = this.#opts.registry.get(res.kind, res.driver);
    const parsed = parseResourceConfig(def, { name, config: res.config, options: res.options });
    const ctx: ConnectorCreateContext = {
      signal: this.#opts.signal ?? new AbortController().signal,
      log: this.#opts.log?.(name) ?? _SILENT,
      clock: this.#opts.clock ?? SYSTEM_CLOCK,
      addSecret: this.#opts.addSecret,
    };
    const instance = await def.create({ name, ...res, ...parsed }, ctx);
    return { def, instance };
  }
}
