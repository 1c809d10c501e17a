/**
 * The connector-backed sources (`sftp`, `smb`, `db`, `http`/`rest`): thin adapters over the built-in
 * connectors' interfaces, built from the manifest's bootstrap `resources` entry named by `resource`, rendered
 * with the environment (docs/bundles.md "Connector sources"). `sftp` and `smb` walk `base_path` through the
 * `files` connector and read each file with `read_bytes`; `http` asks a `rest` connector for the index and
 * each file; `db` reads an `assets` table through a `db` connector.
 * @module
 */
import { buildResources } from "../../config/resources.ts";
import type { Snapshot } from "../../config/snapshot.ts";
import { ConnectorAccessor } from "../../connectors/accessor.ts";
import { z } from "zod";
import type { FilesConnector } from "../../connectors/kinds/files.ts";
import type { RestConnector, RestResponse } from "../../connectors/kinds/rest.ts";
import type { DbConnector } from "../../connectors/kinds/db.ts";
import { ConnectorRegistry } from "../../connectors/registry.ts";
import { AetherflowError, EXIT } from "../../errors.ts";
import { renderString } from "../../resolver/render.ts";
import { compareCodePoints } from "../fingerprint.ts";
import type { BootstrapResource, ConnectorSourceSpec } from "../manifest_model.ts";
import type { BundleSource, SourceEntry, SourceIdentity } from "./types.ts";

/**
 * `base_path` with `{{env.X}}` / `{{env.X:DEFAULT}}` rendered like the bootstrap resource (one manifest for
 * several sites or test servers: `"{{env.SMB_ROOT:Produktion:/etl}}/uc1"`).
 * @throws {AetherflowError} `bundle:source` (exit 2) for a template error.
 */
function _renderBasePath(raw: string, env: Snapshot): string {
  let out: unknown;
  try {
    out = renderString(raw, { env }, { roots: ["env"] });
  } catch (err) {
    throw new AetherflowError(`bundle.source.base_path: ${(err as Error).message}`, {
      code: "bundle:source",
      exitCode: EXIT.INVALID,
    });
  }
  return String(out);
}

/** What a connector source needs besides its spec. */
export interface ConnectorSourceContext {
  /** The manifest's bootstrap resources. */
  resources: Readonly<Record<string, BootstrapResource>>;
  /** Renders `{{env.X}}` in the resource (no secrets provider before a sync: values are used as given). */
  env: Snapshot;
  warn?: (message: string) => void;
}

/** Build the bootstrap resource `spec.resource` behind its own accessor (no cache: one sync, then closed). */
async function _openBootstrap(
  spec: ConnectorSourceSpec,
  ctx: ConnectorSourceContext,
): Promise<ConnectorAccessor> {
  const name = spec.resource;
  const res = ctx.resources[name];
  if (res === undefined) {
    throw new AetherflowError(`bundle.source.resource names no entry of manifest.resources: ${name}`, {
      code: "bundle:source",
      exitCode: EXIT.INVALID,
    });
  }
  const built = await buildResources({
    flowResources: { [name]: res },
    profiles: {},
    snapshot: ctx.env,
    mode: "internal_fast",
    archiveAllowList: [],
    onWarning: ctx.warn,
  });
  return new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: built,
    settings: { connector_cache_disabled: true, connector_cache_default: "none" },
    log: () => ({ debug() {}, info() {}, warn: (m) => ctx.warn?.(m), error() {} }),
  });
}

/** The bootstrap resource's connector, opened on first use (`get`) and closed with its accessor (`close`). */
function _lazyConnector<C>(
  spec: ConnectorSourceSpec,
  ctx: ConnectorSourceContext,
  pick: (accessor: ConnectorAccessor, name: string) => Promise<C>,
): { get(): Promise<C>; close(): Promise<void> } {
  let accessor: ConnectorAccessor | undefined;
  let conn: Promise<C> | undefined;
  return {
    get: () =>
      conn ??= (async () => {
        accessor = await _openBootstrap(spec, ctx);
        return await pick(accessor, spec.resource);
      })(),
    close: async () => {
      await accessor?.closeAll();
    },
  };
}

/** `sftp` / `smb`: every file below `base_path` of a files connector. */
export class FilesConnectorSource implements BundleSource {
  readonly type: "sftp" | "smb";
  readonly basePath: string;
  readonly #spec: ConnectorSourceSpec;
  readonly #conn: { get(): Promise<FilesConnector>; close(): Promise<void> };

  constructor(spec: ConnectorSourceSpec & { type: "sftp" | "smb" }, ctx: ConnectorSourceContext) {
    this.type = spec.type;
    this.basePath = _renderBasePath(spec.base_path, ctx.env);
    this.#spec = spec;
    this.#conn = _lazyConnector(spec, ctx, (a, name) => (spec.type === "sftp" ? a.sftp(name) : a.smb(name)));
  }

  async list(): Promise<SourceEntry[]> {
    const conn = await this.#conn.get();
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
    const conn = await this.#conn.get();
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
    await this.#conn.close();
  }
}

/** One file of an http index. */
const _INDEX_FILE = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/).nullish(),
  size: z.number().int().nonnegative().nullish(),
  mtime: z.number().nullish(),
});
const _INDEX = z.object({ files: z.array(_INDEX_FILE) });

/**
 * `http` (alias `rest`): an index served over HTTP through a `rest` connector.
 * `GET {list_path}?bundle=<b>&<prefix_param>=<base_path>` answers `{"files":[{path, sha256?, size?, mtime?}]}`;
 * `GET {fetch_path}?bundle=<b>&path=<path>` answers the file's bytes. A listed `sha256` is verified by the sync.
 */
export class HttpIndexSource implements BundleSource {
  readonly type = "http";
  readonly basePath: string;
  readonly #spec: ConnectorSourceSpec;
  readonly #bundle: string;
  readonly #conn: { get(): Promise<RestConnector>; close(): Promise<void> };

  constructor(
    spec: ConnectorSourceSpec & { type: "http" },
    ctx: ConnectorSourceContext & { bundleId: string },
  ) {
    this.basePath = _renderBasePath(spec.base_path, ctx.env);
    this.#spec = spec;
    this.#bundle = spec.bundle || ctx.bundleId;
    this.#conn = _lazyConnector(spec, ctx, (a, name) => a.rest(name));
  }

  async #get(path: string, params: Record<string, string>): Promise<RestResponse> {
    const res = await (await this.#conn.get()).request({ method: "GET", url: path, params });
    if (res.status < 200 || res.status > 299) {
      throw new AetherflowError(`GET ${path} answered HTTP ${res.status}`, {
        code: "bundle:source",
        exitCode: EXIT.FAILED,
      });
    }
    return res;
  }

  async list(): Promise<SourceEntry[]> {
    const listPath = this.#spec.list_path || "/list";
    const res = await this.#get(listPath, {
      bundle: this.#bundle,
      [this.#spec.prefix_param || "prefix"]: this.basePath,
    });
    let doc: unknown;
    try {
      doc = JSON.parse(res.text);
    } catch {
      throw new AetherflowError(`GET ${listPath} did not answer JSON`, {
        code: "bundle:source",
        exitCode: EXIT.FAILED,
      });
    }
    const parsed = _INDEX.safeParse(doc);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AetherflowError(
        `GET ${listPath}: not an index {"files": [{path, sha256, size, mtime}]}: ` +
          `${issue.path.join(".") || "document"}: ${issue.message}`,
        { code: "bundle:source", exitCode: EXIT.FAILED },
      );
    }
    const prefix = this.basePath.replace(/^\/+|\/+$/g, "");
    return parsed.data.files.map((f) => {
      // Paths are relative to the bundle; a server that answers them with the prefix has it stripped.
      const trimmed = f.path.replace(/^\/+/, "");
      const rel = prefix !== "" && trimmed.startsWith(`${prefix}/`)
        ? trimmed.slice(prefix.length + 1)
        : f.path;
      return {
        rel_path: rel,
        path: f.path,
        size: f.size ?? null,
        mtime: f.mtime ?? null,
        ...(f.sha256 ? { sha256: f.sha256.toLowerCase() } : {}),
      };
    }).sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    const res = await this.#get(this.#spec.fetch_path || "/fetch", {
      bundle: this.#bundle,
      path: entry.path,
    });
    if (res.body === undefined) {
      throw new AetherflowError(`The rest connector of ${this.#spec.resource} gives no raw body`, {
        code: "bundle:source",
        exitCode: EXIT.FAILED,
      });
    }
    return res.body;
  }

  identity(): SourceIdentity {
    return { type: this.type, base_path: this.basePath };
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }
}

/** The `db` source's default statements over `assets(bundle, path, sha256, data, updated_at, size)`. */
export const DB_LIST_SQL =
  "SELECT path, sha256, updated_at, size FROM assets WHERE bundle = :bundle ORDER BY path";
export const DB_FETCH_SQL = "SELECT data FROM assets WHERE bundle = :bundle AND path = :path";

function _dbError(message: string): AetherflowError {
  return new AetherflowError(message, { code: "bundle:source", exitCode: EXIT.FAILED });
}

/** A column value as a finite number (seconds for `updated_at`: a date becomes its epoch seconds), else null. */
function _number(v: unknown, what: "size" | "mtime"): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (v instanceof Date) return what === "mtime" ? v.getTime() / 1000 : null;
  const n = typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : Number(String(v));
  if (Number.isFinite(n)) return n;
  if (what === "mtime" && typeof v === "string" && !Number.isNaN(Date.parse(v))) return Date.parse(v) / 1000;
  return null;
}

/**
 * `db`: the files of a bundle as rows of a table, through a `db` connector. `list_sql` (default
 * {@link DB_LIST_SQL}) gives `path` (else the first column), `sha256`, `updated_at` (the mtime, seconds) and
 * `size`; `fetch_sql` (default {@link DB_FETCH_SQL}) gives the bytes (the first column; text is UTF-8, null is
 * empty). Both get `:bundle` (the bundle id), the fetch also `:path`.
 */
export class DbAssetSource implements BundleSource {
  readonly type = "db";
  readonly basePath: string;
  readonly #spec: ConnectorSourceSpec;
  readonly #bundle: string;
  readonly #conn: { get(): Promise<DbConnector>; close(): Promise<void> };

  constructor(
    spec: ConnectorSourceSpec & { type: "db" },
    ctx: ConnectorSourceContext & { bundleId: string },
  ) {
    this.basePath = _renderBasePath(spec.base_path, ctx.env);
    this.#spec = spec;
    this.#bundle = spec.bundle || ctx.bundleId;
    this.#conn = _lazyConnector(spec, ctx, (a, name) => a.db(name));
  }

  async list(): Promise<SourceEntry[]> {
    const got = await (await this.#conn.get()).fetchall({
      sql: this.#spec.list_sql || DB_LIST_SQL,
      params: { bundle: this.#bundle },
    });
    const col = (name: string) => got.columns.findIndex((c) => c.toLowerCase() === name);
    const [iPath, iSha, iMtime, iSize] = [col("path"), col("sha256"), col("updated_at"), col("size")];
    if (got.columns.length === 0) throw _dbError("list_sql returned no columns (it needs path)");
    const out: SourceEntry[] = [];
    for (const row of got.rows) {
      const path = row[iPath >= 0 ? iPath : 0];
      if (typeof path !== "string" || path === "") {
        throw _dbError(`list_sql returned a row without a path: ${JSON.stringify(String(path))}`);
      }
      const sha = iSha >= 0 ? row[iSha] : null;
      out.push({
        rel_path: path,
        path,
        size: iSize >= 0 ? _number(row[iSize], "size") : null,
        mtime: iMtime >= 0 ? _number(row[iMtime], "mtime") : null,
        ...(typeof sha === "string" && /^[0-9a-fA-F]{64}$/.test(sha) ? { sha256: sha.toLowerCase() } : {}),
      });
    }
    return out.sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    const got = await (await this.#conn.get()).fetchall({
      sql: this.#spec.fetch_sql || DB_FETCH_SQL,
      params: { bundle: this.#bundle, path: entry.path },
    });
    if (got.rows.length === 0) {
      throw _dbError(`DB asset not found: bundle=${this.#bundle} path=${entry.path}`);
    }
    const data = got.rows[0]![0];
    if (data === null || data === undefined) return new Uint8Array();
    if (data instanceof Uint8Array) return data;
    if (typeof data === "string") return new TextEncoder().encode(data);
    throw _dbError(`fetch_sql returned a ${typeof data} for ${entry.path}, not bytes or text`);
  }

  identity(): SourceIdentity {
    return { type: this.type, base_path: this.basePath };
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }
}
