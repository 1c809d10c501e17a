/**
 * The connector-backed sources (`sftp`, `smb`, `db`, `http`/`rest`): thin adapters over the built-in
 * connectors' interfaces — `files` (list a directory, read bytes) for sftp and smb, `db` (fetch rows) and
 * `rest` (GET) — built from the manifest's bootstrap `resources` (docs/bundles.md "Connector sources").
 * Those connectors are not part of this build yet, so these types are refused with a clear error.
 * @module
 */
import { AetherflowError, EXIT } from "../../errors.ts";
import type { ConnectorSourceSpec } from "../manifest_model.ts";

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
