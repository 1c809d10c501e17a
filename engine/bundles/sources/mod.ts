/**
 * Bundle sources: the contract and one implementation per `bundle.source.type`.
 * @module
 */
import type { SourceSpec } from "../manifest_model.ts";
import { ArchiveSource } from "./archive.ts";
import { DbAssetSource, FilesConnectorSource, HttpIndexSource } from "./connector_sources.ts";
import { FilesystemSource } from "./filesystem.ts";
import { GitSource } from "./git.ts";
import type { BundleSource, SourceContext } from "./types.ts";

export type { BundleSource, SourceContext, SourceEntry, SourceIdentity } from "./types.ts";
export { filesystemBase } from "./filesystem.ts";

/** Open the source a manifest names (nothing is read until `list()`). */
export function createSource(spec: SourceSpec, ctx: SourceContext): BundleSource {
  switch (spec.type) {
    case "filesystem":
      return new FilesystemSource(spec, ctx);
    case "git":
      return new GitSource(spec, ctx);
    case "archive":
      return new ArchiveSource(spec, ctx);
    case "sftp":
    case "smb":
      return new FilesConnectorSource({ ...spec, type: spec.type }, {
        resources: ctx.resources ?? {},
        env: ctx.env ?? {},
        warn: ctx.warn,
      });
    case "http":
    case "db": {
      const connectorCtx = {
        resources: ctx.resources ?? {},
        env: ctx.env ?? {},
        warn: ctx.warn,
        bundleId: ctx.bundleId ?? "",
      };
      return spec.type === "http"
        ? new HttpIndexSource({ ...spec, type: spec.type }, connectorCtx)
        : new DbAssetSource({ ...spec, type: spec.type }, connectorCtx);
    }
  }
}
