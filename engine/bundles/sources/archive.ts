/**
 * `archive` source: a `.zip` or `.tar.gz` bundle from a local `path` or an `https://` `url` (sha256 required),
 * unpacked in memory; only members below `base_path` are listed, and any unsafe member (absolute name, `..`,
 * link, device) refuses the whole archive (docs/bundles.md "archive"). Signatures are `sha256:<hex>`.
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { AetherflowError, EXIT } from "../../errors.ts";
import { compareCodePoints, sha256Bytes } from "../fingerprint.ts";
import type { ArchiveSourceSpec } from "../manifest_model.ts";
import { archiveFormat } from "../_paths.ts";
import { writeFileAtomic } from "../_fs.ts";
import { redactUrl } from "./_git.ts";
import { homeDir } from "./home_dir.ts";
import { type ArchiveMember, MAX_ARCHIVE_BYTES, readCapped, unsafeArchiveEntry } from "./_archive_entries.ts";
import type { BundleSource, SourceContext, SourceEntry, SourceIdentity } from "./types.ts";

export class ArchiveSource implements BundleSource {
  readonly type = "archive";
  readonly basePath: string;
  readonly #spec: ArchiveSourceSpec;
  readonly #ctx: SourceContext;
  readonly #files = new Map<string, Uint8Array>();

  constructor(spec: ArchiveSourceSpec, ctx: SourceContext) {
    this.#spec = spec;
    this.#ctx = ctx;
    this.basePath = spec.base_path;
  }

  /** The local archive path (relative to the manifest's directory, `~` expanded). */
  #localPath(): string {
    let p = this.#spec.path!;
    if (p === "~" || p.startsWith("~/")) p = join(homeDir(), p.slice(1));
    return isAbsolute(p) ? resolve(p) : resolve(this.#ctx.manifestDir, p);
  }

  #label(): string {
    return this.#spec.url !== undefined ? redactUrl(this.#spec.url) : this.#localPath();
  }

  async #bytes(): Promise<Uint8Array> {
    const expected = this.#spec.sha256;
    let bytes: Uint8Array;
    if (this.#spec.url !== undefined) {
      const cached = join(this.#ctx.cacheDir, expected!);
      const hit = await Deno.readFile(cached).catch(() => undefined);
      if (hit && sha256Bytes(hit) === expected) return hit;
      bytes = await _download(this.#spec.url);
      const got = sha256Bytes(bytes);
      if (got !== expected) throw _mismatch(this.#label(), expected!, got);
      await writeFileAtomic(cached, bytes);
      return bytes;
    }
    bytes = await Deno.readFile(this.#localPath());
    if (expected !== undefined) {
      const got = sha256Bytes(bytes);
      if (got !== expected) throw _mismatch(this.#label(), expected, got);
    }
    return bytes;
  }

  async list(): Promise<SourceEntry[]> {
    const bytes = await this.#bytes();
    const name = this.#spec.path ?? new URL(this.#spec.url!).pathname;
    const members: ArchiveMember[] = archiveFormat(name) === "zip"
      ? await (await import("./_zip.ts")).readZip(bytes)
      : await (async () => {
        const tar = await import("./_tar.ts");
        return tar.readTar(await tar.gunzip(bytes));
      })();
    const prefix = this.basePath === "" ? "" : `${this.basePath}/`;
    const out: SourceEntry[] = [];
    this.#files.clear();
    for (const m of members) {
      if (m.kind !== "file" || !m.name.startsWith(prefix)) continue;
      const rel = m.name.slice(prefix.length);
      if (rel === "") continue;
      if (this.#files.has(rel)) throw unsafeArchiveEntry(m.name, "appears twice");
      this.#files.set(rel, m.data!);
      out.push({
        rel_path: rel,
        path: `${this.#label()}!${m.name}`,
        size: m.data!.length,
        mtime: m.mtime,
        sha256: sha256Bytes(m.data!),
      });
    }
    return out.sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  read(entry: SourceEntry): Promise<Uint8Array> {
    const data = this.#files.get(entry.rel_path);
    if (!data) return Promise.reject(new Error(`not in the archive: ${entry.rel_path}`));
    return Promise.resolve(data);
  }

  identity(): SourceIdentity {
    const id: SourceIdentity = { type: this.type, base_path: this.basePath };
    if (this.#spec.url !== undefined) id.url = redactUrl(this.#spec.url);
    if (this.#spec.path !== undefined) id.path = this.#localPath();
    if (this.#spec.sha256 !== undefined) id.sha256 = this.#spec.sha256;
    return id;
  }

  close(): Promise<void> {
    this.#files.clear();
    return Promise.resolve();
  }
}

function _mismatch(label: string, expected: string, got: string): AetherflowError {
  return new AetherflowError(`Checksum mismatch for archive ${label}: expected=${expected} got=${got}`, {
    code: "bundle:checksum",
    exitCode: EXIT.FAILED,
  });
}

async function _download(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    const cause = (err as Error).cause;
    const why = `${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ""}`;
    throw new AetherflowError(`Cannot download archive ${redactUrl(url)}: ${redactUrl(why)}`, {
      code: "bundle:download",
      exitCode: EXIT.FAILED,
      cause: err,
    });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new AetherflowError(`Cannot download archive ${redactUrl(url)}: HTTP ${res.status}`, {
      code: "bundle:download",
      exitCode: EXIT.FAILED,
    });
  }
  return await readCapped(
    res.body,
    MAX_ARCHIVE_BYTES,
    () =>
      new AetherflowError(`Archive ${redactUrl(url)} is larger than ${MAX_ARCHIVE_BYTES} bytes`, {
        code: "bundle:download",
        exitCode: EXIT.FAILED,
      }),
  );
}
