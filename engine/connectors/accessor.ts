/**
 * The lazy connector accessor of the RunContext (core.md §5.7): instances are created on first use and cached
 * per the cache policy `none` | `run` | `process`.
 * @module
 */
import { AetherflowError } from "../errors.ts";
import type { ConnectorRegistry } from "./registry.ts";
import type { Connector, ConnectorResource } from "./types.ts";

export type CachePolicy = "none" | "run" | "process";

/** The resource fields the accessor needs (a `BuiltResource` fits). */
export type AccessorResource = Omit<ConnectorResource, "name">;

export interface ConnectorAccessorOptions {
  registry: ConnectorRegistry;
  resources: Readonly<Record<string, AccessorResource>>;
  /** `connector_cache_disabled` and `connector_cache_default` from settings. */
  settings: { connector_cache_disabled: boolean; connector_cache_default: string };
}

// Process-wide instances, keyed (kind, driver, name); shared by every run of this process (scheduler).
const _processCache = new Map<string, Promise<Connector>>();

/** Close every process-cached connector (at process exit). Errors are collected, not thrown one by one. */
export async function closeProcessConnectors(): Promise<unknown[]> {
  const all = [..._processCache.values()];
  _processCache.clear();
  return await _closeAll(all);
}

async function _closeAll(instances: Promise<Connector>[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const p of instances) {
    const instance = await p.catch(() => undefined); // a failed creation was already reported to its caller
    try {
      await instance?.close?.();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

/** Lazy access to connectors by resource name. */
export class ConnectorAccessor {
  #opts: ConnectorAccessorOptions;
  #runCache = new Map<string, Promise<Connector>>();
  #owned: Promise<Connector>[] = [];

  constructor(options: ConnectorAccessorOptions) {
    this.#opts = options;
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
    return p === "none" || p === "process" ? p : "run"; // anything else = per run (§5.7)
  }

  /**
   * The connector for resource `name`, checking its kind.
   * @throws {AetherflowError} `Unknown resource: <name>. Known: [...]`,
   * `Resource <name> is kind=<k>, requested kind=<kind>`, or an unknown `kind:driver`.
   */
  async get(kind: string, name: string, cache?: string): Promise<Connector> {
    const res = this.#resource(name);
    if (res.kind !== kind) {
      throw new AetherflowError(`Resource ${name} is kind=${res.kind}, requested kind=${kind}`, {
        code: "connector:kind_mismatch",
      });
    }
    return await this.named(name, cache);
  }

  /** The connector for resource `name` without a kind check (`connectors[name]` of §5.7). */
  named(name: string, cache?: string): Promise<Connector> {
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

  db(name: string): Promise<Connector> {
    return this.get("db", name);
  }
  rest(name: string): Promise<Connector> {
    return this.get("rest", name);
  }
  sftp(name: string): Promise<Connector> {
    return this.get("sftp", name);
  }
  smb(name: string): Promise<Connector> {
    return this.get("smb", name);
  }
  mail(name: string): Promise<Connector> {
    return this.get("mail", name);
  }
  archive(name: string): Promise<Connector> {
    return this.get("archive", name);
  }

  /** Close every instance this accessor created (run and `none` policies); process-cached ones stay open. */
  async closeAll(): Promise<unknown[]> {
    const owned = this.#owned;
    this.#owned = [];
    this.#runCache.clear();
    return await _closeAll(owned);
  }

  #resource(name: string): AccessorResource {
    const res = Object.hasOwn(this.#opts.resources, name) ? this.#opts.resources[name] : undefined;
    if (res) return res;
    const known = Object.keys(this.#opts.resources).sort();
    throw new AetherflowError(`Unknown resource: ${name}. Known: ${JSON.stringify(known)}`, {
      code: "connector:unknown_resource",
    });
  }

  async #create(name: string, res: AccessorResource): Promise<Connector> {
    const def = this.#opts.registry.get(res.kind, res.driver);
    return await def.create({ name, ...res });
  }
}
