/**
 * Bundles (docs/bundles.md): manifests, sources, sync with atomic activation, status, and the wiring a
 * command applies when it runs a bundle.
 * @module
 */
export { formatManifestIssue, loadManifest, ManifestError, parseManifest } from "./load_manifest.ts";
export type { BundleManifest } from "./load_manifest.ts";
export { archiveFormat, BUNDLE_ID_REGEXP, manifestSchema, SOURCE_TYPES } from "./manifest_model.ts";
export type { FetchPolicy, ManifestMode, SourceSpec, SourceType } from "./manifest_model.ts";
export { bundleFingerprint, compareCodePoints, entrySignature, mtimeSig } from "./fingerprint.ts";
export { bundleLayout } from "./layout.ts";
export type { BundleLayout } from "./layout.ts";
export { activateVersion, resolveActive } from "./activate.ts";
export { isoUtc, syncBundle } from "./sync.ts";
export type { SyncOptions, SyncResult } from "./sync.ts";
export { bundleStatus } from "./status.ts";
export type { BundleStatus } from "./status.ts";
export { createSource } from "./sources/mod.ts";
export type { BundleSource, SourceContext, SourceEntry, SourceIdentity } from "./sources/mod.ts";
export { useBundle } from "./use_bundle.ts";
export type { ManifestPin, UseBundleOptions, UsedBundle } from "./use_bundle.ts";
