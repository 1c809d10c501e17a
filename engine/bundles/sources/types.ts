/**
 * The bundle source contract (docs/bundles.md "Sources"): list the files of a bundle, read one file's bytes.
 * Every source type implements it; sync never needs to know which one it talks to.
 * @module
 */
import type { Snapshot } from "../../config/snapshot.ts";
import type { SignedEntry } from "../fingerprint.ts";
import type { BootstrapResource } from "../manifest_model.ts";

/** One listed file. `rel_path` uses `/`, is relative to the source's base and is checked by sync. */
export interface SourceEntry extends SignedEntry {
  rel_path: string;
  /** Where the file is in the source, for messages (`full=` of read failures). */
  path: string;
  size: number | null;
  mtime: number | null;
  sha256?: string | null;
  blob?: string | null;
}

/** What a source records about itself in the snapshot and the run record. */
export interface SourceIdentity {
  type: string;
  base_path: string;
  url?: string;
  ref?: string;
  commit?: string;
  path?: string;
  sha256?: string;
}

/** A bundle source, opened for one sync. */
export interface BundleSource {
  readonly type: string;
  /** The base path as reported in messages (`base_path=<bp>`). */
  readonly basePath: string;
  /** Every file, sorted by code point; problems throw (sync turns them into stale fallbacks or exit 1). */
  list(): Promise<SourceEntry[]>;
  /** The bytes of one listed file. */
  read(entry: SourceEntry): Promise<Uint8Array>;
  /** Identity for the snapshot (`source`), complete after `list()` (git adds the resolved commit). */
  identity(): SourceIdentity;
  close(): Promise<void>;
}

/** Where a source may keep things and what it must leave out. */
export interface SourceContext {
  /** The manifest's directory: base of relative filesystem/archive paths. */
  manifestDir: string;
  /** The bundle root (`<work_root>/bundles/<id>`): git keeps its cache repository here. */
  bundleRoot: string;
  /** The work root, excluded from a filesystem listing when it lies inside the base directory. */
  workRoot: string;
  /** Content-addressed blobs (`cache/<sha256>`): a downloaded archive is kept here. */
  cacheDir: string;
  /** The manifest's `bundle.id` (the http source's default `bundle` query value). */
  bundleId?: string;
  /** Connector sources: the manifest's bootstrap resources and the env that renders them. */
  resources?: Readonly<Record<string, BootstrapResource>>;
  env?: Snapshot;
  warn?: (message: string) => void;
}
