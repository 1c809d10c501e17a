/**
 * `bundle sync` (docs/bundles.md "Sync"): list the source, fingerprint, short-circuit when nothing changed,
 * else stage every file through the content-addressed cache, check `entry_flow`, activate atomically and record
 * the snapshot. One sync per bundle at a time (`sync.lock`); any failure after validation writes
 * `last_error.json` and, with `allowStale` and an active bundle, falls back to it.
 * @module
 */
import { dirname, join } from "node:path";
import { AetherflowError, errorMessage, EXIT } from "../errors.ts";
import {
  ensureDir,
  lockFile,
  randomName,
  readBytes,
  readJson,
  removeFile,
  removeTree,
  writeFileAtomic,
  writeFileDurable,
} from "./_fs.ts";
import { activateVersion, recoverBundleRoot, resolveActive, versionFingerprint } from "./activate.ts";
import { bundleFingerprint, mtimeSig, sha256Bytes } from "./fingerprint.ts";
import { type BundleLayout, bundleLayout } from "./layout.ts";
import type { Snapshot } from "../config/snapshot.ts";
import type { BundleManifest } from "./load_manifest.ts";
import { type BundleSource, createSource, type SourceEntry, type SourceIdentity } from "./sources/mod.ts";
import { unsafeRelPath } from "./_paths.ts";

export interface SyncOptions {
  manifest: BundleManifest;
  /** Absolute work root. */
  workRoot: string;
  /** Fall back to the active bundle on any sync failure (`--allow-stale-bundle`). */
  allowStale?: boolean;
  /** WARNING lines (the stale fallback); the caller formats and masks them. */
  warn?: (message: string) => void;
  /** Masks secrets in text written to `last_error.json` and in errors [D18]. */
  mask?: (text: string) => string;
  /** Wall clock (tests). */
  now?: () => Date;
  /** Renders the bootstrap resource of an sftp/smb source (`{{env.X}}`); default: no env. */
  snapshot?: Snapshot;
  /**
   * A source to use instead of the one the manifest's `bundle.source` opens (embedding: a source type this
   * build does not have). It gets the same checks: path safety, checksums, entry flow, activation.
   */
  source?: BundleSource;
}

/** What a sync reports (`bundle sync --json`, in this key order, plus the extras after `fetched_files`). */
export interface SyncResult {
  bundle_manifest: string;
  local_root: string;
  active_dir: string;
  cache_dir: string;
  fingerprints_dir: string;
  fingerprint: string;
  changed: boolean;
  fetched_files: string[];
  /** git sources: the resolved commit of the active bundle. */
  commit?: string;
  /** Not printed: the bundle id, the resolved version dir, the source identity, whether this is a stale fallback. */
  bundleId: string;
  versionDir: string;
  source: SourceIdentity;
  stale: boolean;
}

interface _Snapshot {
  fingerprint: string;
  source?: SourceIdentity;
  files: Map<string, { sha256: string; size: number | null; mtime: number | null; blob?: string | null }>;
}

function _syncError(message: string, cause?: unknown): AetherflowError {
  return new AetherflowError(message, { code: "bundle:sync", exitCode: EXIT.FAILED, cause });
}

/** UTC ISO-8601 with microseconds and `+00:00`. */
export function isoUtc(date: Date): string {
  return date.toISOString().replace(/Z$/, "000+00:00");
}

/**
 * Sync one bundle.
 * @throws {AetherflowError} exit 1 on a sync failure without a stale fallback; exit 2 for a source type this
 * build cannot open.
 */
export async function syncBundle(options: SyncOptions): Promise<SyncResult> {
  const { manifest } = options;
  const mask = options.mask ?? ((s: string) => s);
  const now = options.now ?? (() => new Date());
  const layout = bundleLayout(options.workRoot, manifest.bundle.id);
  const spec = manifest.bundle.source;
  const strict = "strict_fingerprint" in spec && spec.strict_fingerprint;
  for (const dir of [layout.root, layout.cache, layout.fingerprints, layout.versions, layout.staged]) {
    await ensureDir(dir);
  }
  const source = options.source ?? createSource(spec, {
    manifestDir: manifest.dir,
    bundleRoot: layout.root,
    workRoot: options.workRoot,
    cacheDir: layout.cache,
    bundleId: manifest.bundle.id,
    resources: manifest.resources,
    env: options.snapshot,
    warn: options.warn,
  });
  const lock = await lockFile(layout.lock);
  let oldFp: string | null = null;
  let newFp: string | null = null;
  let stagedDir: string | undefined;
  try {
    await recoverBundleRoot(layout);
    const previous = await _readLatest(layout);
    oldFp = previous?.fingerprint ?? null;
    const ctx = { source, layout, strict, previous, fetched: [] as string[] };
    const entries = await _listChecked(source);
    if (strict) await _hashStrict(ctx, entries);
    newFp = bundleFingerprint(entries);
    const active = await resolveActive(layout);
    const result = (fingerprint: string, changed: boolean, fetched: string[], versionDir: string) =>
      _result(options, layout, {
        fingerprint,
        changed,
        fetched,
        versionDir,
        source: source.identity(),
        stale: false,
      });
    // `active` is swapped before latest.json is written, so a sync killed in between leaves latest.json naming
    // an older fingerprint than `active`: the shortcut also needs `active` to be that fingerprint's version.
    if (
      manifest.bundle.fetch_policy !== "always" && oldFp === newFp && active !== undefined &&
      versionFingerprint(active) === newFp
    ) {
      return result(newFp, false, [], active);
    }
    stagedDir = join(layout.staged, randomName("bundle_"));
    await ensureDir(stagedDir);
    const files = await _stage(ctx, entries, stagedDir);
    const entry = manifest.bundle.entry_flow;
    if (!files.some((f) => f.path === entry)) throw _syncError(`entry_flow not found in bundle: ${entry}`);
    const name = await activateVersion(layout, {
      fingerprint: newFp,
      stagedDir,
      fetchPolicy: manifest.bundle.fetch_policy,
    });
    stagedDir = undefined;
    await _writeSnapshot(layout, {
      bundleId: manifest.bundle.id,
      fingerprint: newFp,
      source: source.identity(),
      files,
      strict,
      at: now(),
    });
    await removeFile(layout.lastError);
    return result(newFp, true, ctx.fetched, (await resolveActive(layout)) ?? join(layout.versions, name));
  } catch (err) {
    const message = mask(errorMessage(err));
    if (stagedDir !== undefined) await removeTree(stagedDir).catch(() => {});
    await writeFileAtomic(
      layout.lastError,
      JSON.stringify({
        bundle_id: manifest.bundle.id,
        source_type: spec.type,
        base_path: source.basePath,
        bundle_manifest: manifest.file,
        old_fingerprint: oldFp,
        new_fingerprint: newFp,
        strict_fingerprint: strict,
        error: message,
        updated_at: isoUtc(now()),
      }),
    ).catch(() => {});
    const active = options.allowStale ? await resolveActive(layout) : undefined;
    if (active === undefined) {
      if (err instanceof AetherflowError && err.message === message) throw err;
      throw _syncError(message, err);
    }
    options.warn?.(`Bundle sync failed, using stale active bundle_id=${manifest.bundle.id}: ${message}`);
    const snap = await readJson(join(layout.fingerprints, `${oldFp}.json`)) as
      | { source?: SourceIdentity }
      | undefined;
    return _result(options, layout, {
      fingerprint: oldFp ?? "",
      changed: false,
      fetched: [],
      versionDir: active,
      source: snap?.source ?? source.identity(),
      stale: true,
    });
  } finally {
    await source.close().catch(() => {});
    lock.release();
  }
}

function _result(
  options: SyncOptions,
  layout: BundleLayout,
  r: {
    fingerprint: string;
    changed: boolean;
    fetched: string[];
    versionDir: string;
    source: SourceIdentity;
    stale: boolean;
  },
): SyncResult {
  const out: SyncResult = {
    bundle_manifest: options.manifest.file,
    local_root: layout.active,
    active_dir: layout.active,
    cache_dir: layout.cache,
    fingerprints_dir: layout.fingerprints,
    fingerprint: r.fingerprint,
    changed: r.changed,
    fetched_files: r.fetched,
    bundleId: options.manifest.bundle.id,
    versionDir: r.versionDir,
    source: r.source,
    stale: r.stale,
  };
  if (r.source.commit !== undefined) out.commit = r.source.commit;
  return out;
}

/** The listing with every rel path checked: nothing a source lists may point outside the bundle. */
async function _listChecked(source: BundleSource): Promise<SourceEntry[]> {
  const entries = await source.list();
  const seen = new Set<string>();
  for (const e of entries) {
    const why = unsafeRelPath(e.rel_path);
    if (why !== undefined || seen.has(e.rel_path)) {
      throw new AetherflowError(
        `Unsafe bundle entry: ${e.rel_path} (${why ?? "listed twice"}; source=${source.type})`,
        { code: "bundle:unsafe_entry", exitCode: EXIT.FAILED },
      );
    }
    seen.add(e.rel_path);
  }
  return entries;
}

interface _Ctx {
  source: BundleSource;
  layout: BundleLayout;
  strict: boolean;
  previous: _Snapshot | undefined;
  fetched: string[];
}

async function _readSource(ctx: _Ctx, entry: SourceEntry): Promise<Uint8Array> {
  try {
    return await ctx.source.read(entry);
  } catch (err) {
    throw _syncError(
      `Failed to read remote bytes: rel=${entry.rel_path} full=${entry.path} source=${ctx.source.type} ` +
        `base_path=${ctx.source.basePath}: ${errorMessage(err)}`,
      err,
    );
  }
}

/** Store `bytes` as `cache/<sha>` (durable, atomic); returns the sha. */
async function _storeBlob(
  layout: BundleLayout,
  bytes: Uint8Array,
  sha = sha256Bytes(bytes),
): Promise<string> {
  await writeFileAtomic(join(layout.cache, sha), bytes);
  return sha;
}

/** The blob's bytes when present and intact (a damaged blob is treated as missing). */
async function _blob(layout: BundleLayout, sha: string): Promise<Uint8Array | undefined> {
  const bytes = await readBytes(join(layout.cache, sha)).catch(() => undefined);
  return bytes && sha256Bytes(bytes) === sha ? bytes : undefined;
}

/** Strict mode: content hashes for files the source gives without one; new content counts as fetched. */
async function _hashStrict(ctx: _Ctx, entries: SourceEntry[]): Promise<void> {
  for (const e of entries) {
    if (e.sha256) continue;
    const bytes = await _readSource(ctx, e);
    const sha = sha256Bytes(bytes);
    if (!(await _blob(ctx.layout, sha))) {
      await _storeBlob(ctx.layout, bytes, sha);
      ctx.fetched.push(e.rel_path);
    }
    e.sha256 = sha;
  }
}

interface _StagedFile {
  path: string;
  sha256: string;
  size: number | null;
  mtime: number | null;
  blob?: string | null;
}

async function _stage(ctx: _Ctx, entries: SourceEntry[], stagedDir: string): Promise<_StagedFile[]> {
  const files: _StagedFile[] = [];
  for (const e of entries) {
    let bytes: Uint8Array | undefined;
    let sha = e.sha256 ?? undefined;
    if (sha === undefined) {
      // Reuse the previous snapshot's blob when the source says the file did not change.
      const prev = ctx.previous?.files.get(e.rel_path);
      const same = prev !== undefined &&
        (e.blob ? prev.blob === e.blob : prev.size === e.size && mtimeSig(prev.mtime) === mtimeSig(e.mtime));
      if (same) {
        bytes = await _blob(ctx.layout, prev.sha256);
        if (bytes) sha = prev.sha256;
      }
    } else {
      bytes = await _blob(ctx.layout, sha);
    }
    if (bytes === undefined) {
      bytes = await _readSource(ctx, e);
      if (!ctx.fetched.includes(e.rel_path)) ctx.fetched.push(e.rel_path);
      const got = sha256Bytes(bytes);
      if (sha !== undefined && got !== sha) {
        throw _syncError(
          `Checksum mismatch for ${e.rel_path}: expected=${sha} got=${got} ` +
            `(source=${ctx.source.type} base_path=${ctx.source.basePath})`,
        );
      }
      sha = await _storeBlob(ctx.layout, bytes, got);
    }
    const target = join(stagedDir, e.rel_path);
    await ensureDir(dirname(target));
    await writeFileDurable(target, bytes);
    files.push({
      path: e.rel_path,
      sha256: sha!,
      size: e.size,
      mtime: e.mtime,
      ...(e.blob ? { blob: e.blob } : {}),
    });
  }
  return files;
}

async function _readLatest(layout: BundleLayout): Promise<_Snapshot | undefined> {
  const latest = await readJson(layout.latest) as { fingerprint?: unknown } | undefined;
  if (!latest || typeof latest.fingerprint !== "string" || latest.fingerprint === "") return undefined;
  const fp = latest.fingerprint;
  const snap = await readJson(join(layout.fingerprints, `${fp}.json`)) as {
    files?: { path: string; sha256: string; size: number | null; mtime: number | null; blob?: string }[];
    source?: SourceIdentity;
  } | undefined;
  const files = new Map<
    string,
    { sha256: string; size: number | null; mtime: number | null; blob?: string | null }
  >();
  for (const f of snap?.files ?? []) {
    if (typeof f?.path === "string" && typeof f.sha256 === "string") files.set(f.path, f);
  }
  return { fingerprint: fp, source: snap?.source, files };
}

async function _writeSnapshot(
  layout: BundleLayout,
  s: {
    bundleId: string;
    fingerprint: string;
    source: SourceIdentity;
    files: _StagedFile[];
    strict: boolean;
    at: Date;
  },
): Promise<void> {
  const at = isoUtc(s.at);
  const snapshot = {
    version: 1,
    bundle_id: s.bundleId,
    fingerprint: s.fingerprint,
    created_at: at,
    source: s.source,
    files: s.files.map((f) => ({
      path: f.path,
      sha256: f.sha256,
      size: f.size,
      mtime: f.mtime,
      ...(f.blob ? { blob: f.blob } : {}),
    })),
    strict_fingerprint: s.strict,
  };
  await writeFileAtomic(join(layout.fingerprints, `${s.fingerprint}.json`), JSON.stringify(snapshot));
  await writeFileAtomic(
    layout.latest,
    JSON.stringify({ fingerprint: s.fingerprint, snapshot: `${s.fingerprint}.json`, updated_at: at }),
  );
}
