/**
 * The connector-backed sources (`sftp`, `smb`, `db`, `http`/`rest`): thin adapters over the built-in
 * connectors' interfaces, built from the manifest's bootstrap `resources` entry named by `resource`, rendered
 * with the environment (docs/bundles.md "Connector sources"). `sftp` and `smb` walk `base_path` through the
 * `files` connector and read each file with `read_bytes`; `db` and `http` wait for their connectors and are
 * refused with a clear error.
 * @module
 */
import { buildResources } from "../../config/resources.ts";
import type { Snapshot } from "../../config/snapshot.ts";
import { ConnectorAccessor } from "../../connectors/accessor.ts";
import type { FilesConnector } from "../../connectors/kinds/files.ts";
import { ConnectorRegistry } from "../../connectors/registry.ts";
import { AetherflowError, EXIT } from "../../errors.ts";
import { compareCodePoints } from "../fingerprint.ts";
import type { BootstrapResource, ConnectorSourceSpec } from "../manifest_model.ts";
import type { BundleSource, SourceEntry, SourceIdentity } from "./types.ts";

/** The connector kind each source type adapts. */
export const CONNECTOR_KIND: Readonly<Record<ConnectorSourceSpec["type"], string>> = {
  sftp: "files",
  smb: "files",
  db: "db",
  http: "rest",
};

/**
 * @throws {AetherflowError} `bundle:source_unavailable` (exit 2): the connector this source needs is missing.
 */
export function connectorSourceUnavailable(spec: ConnectorSourceSpec): never {
  throw new AetherflowError(
    `bundle.source.type ${spec.type} is not available in this build: it needs the built-in ` +
      `${spec.type === "http" ? "rest" : spec.type} connector (${
        CONNECTOR_KIND[spec.type]
      } kind), which has not ` +
      "landed yet; use a filesystem, git or archive source",
    { code: "bundle:source_unavailable", exitCode: EXIT.INVALID },
  );
}

/** What a connector source needs besides its spec. */
export interface ConnectorSourceContext {
  /** The manifest's bootstrap resources. */
  resources: Readonly<Record<string, BootstrapResource>>;
  /** Renders `{{env.X}}` in the resource (no secrets provider before a sync: values are used as given). */
  env: Snapshot;
  warn?: (message: string) => void;
}

/** `sftp` / `smb`: every file below `base_path` of a files connector. */
export class FilesConnectorSource implements BundleSource {
  readonly type: "sftp" | "smb";
  readonly basePath: string;
  readonly #spec: ConnectorSourceSpec;
  readonly #ctx: ConnectorSourceContext;
  #accessor: ConnectorAccessor | undefined;
  #conn: Promise<FilesConnector> | undefined;

  constructor(spec: ConnectorSourceSpec & { type: "sftp" | "smb" }, ctx: ConnectorSourceContext) {
    this.type = spec.type;
    this.basePath = spec.base_path;
    this.#spec = spec;
    this.#ctx = ctx;
  }

  #connector(): Promise<FilesConnector> {
    return this.#conn ??= (async () => {
      const name = this.#spec.resource;
      const res = this.#ctx.resources[name];
      if (res === undefined) {
        throw new AetherflowError(`bundle.source.resource names no entry of manifest.resources: ${name}`, {
          code: "bundle:source",
          exitCode: EXIT.INVALID,
        });
      }
      const built = await buildResources({
        flowResources: { [name]: res },
        profiles: {},
        snapshot: this.#ctx.env,
        mode: "internal_fast",
        archiveAllowList: [],
        onWarning: this.#ctx.warn,
      });
      this.#accessor = new ConnectorAccessor({
        registry: ConnectorRegistry.withBuiltins(),
        resources: built,
        settings: { connector_cache_disabled: true, connector_cache_default: "none" },
        log: () => ({ debug() {}, info() {}, warn: (m) => this.#ctx.warn?.(m), error() {} }),
      });
      return this.type === "sftp" ? await this.#accessor.sftp(name) : await this.#accessor.smb(name);
    })();
  }

  async list(): Promise<SourceEntry[]> {
    const conn = await this.#connector();
    const root = this.basePath.replace(this.type === "smb" ? /[\\/]+$/ : /\/+$/, "") || "/";
    const out: SourceEntry[] = [];
    const queue: { dir: string; prefix: string }[] = [{ dir: root, prefix: "" }];
    while (queue.length > 0) {
      const { dir, prefix } = queue.shift()!;
      for (const e of await conn.list({ path: dir })) {
        if (e.name === "" || e.name === "." || e.name === "..") continue;
        const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
        if (e.is_dir) queue.push({ dir: e.path, prefix: rel });
        else out.push({ rel_path: rel, path: e.path, size: e.size, mtime: e.mtime });
      }
    }
    return out.sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    const conn = await this.#connector();
    if (!conn.read_bytes) {
      throw new AetherflowError(`The ${this.type} connector of ${this.#spec.resource} cannot read files`, {
        code: "bundle:source",
        exitCode: EXIT.FAILED,
      });
    }
    return await conn.read_bytes({ path: entry.path });
  }

  identity(): SourceIdentity {
    return { type: this.type, base_path: this.basePath };
  }

  async close(): Promise<void> {
    await this.#accessor?.closeAll();
  }
}
