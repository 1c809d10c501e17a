/**
 * The connector kinds built-in steps rely on: per resource `kind`, the typed interface, every method, the
 * methods a driver must provide, and the adapter that fits a plugin connector (generic `call`) to the interface.
 * @module
 */
import type { Connector } from "../types.ts";
import type { GenericCall } from "./_adapt.ts";
import { ARCHIVE_METHODS, ARCHIVE_REQUIRED, type ArchiveConnector, archiveFromCall } from "./archive.ts";
import { DB_METHODS, DB_REQUIRED, type DbConnector, dbFromCall } from "./db.ts";
import { FILES_METHODS, FILES_REQUIRED, type FilesConnector, filesFromCall } from "./files.ts";
import { MAIL_METHODS, MAIL_REQUIRED, type MailConnector, mailFromCall } from "./mail.ts";
import { REST_METHODS, REST_REQUIRED, type RestConnector, restFromCall } from "./rest.ts";

export type {
  ArchiveConnector,
  CreateZipArgs,
  CreateZipResult,
  ExtractZipArgs,
  ExtractZipResult,
} from "./archive.ts";
export type { DbConnector, DbQuery, DbRows, DbStream } from "./db.ts";
export type { FilesConnector, RemoteFileInfo } from "./files.ts";
export type { MailAttachment, MailConnector } from "./mail.ts";
export type { RestConnector, RestFile, RestRequest, RestResponse } from "./rest.ts";
export type { GenericCall } from "./_adapt.ts";

/** Resource kind -> typed connector. `sftp` and `smb` share the files contract. */
export interface ConnectorKinds {
  db: DbConnector;
  sftp: FilesConnector;
  smb: FilesConnector;
  mail: MailConnector;
  archive: ArchiveConnector;
  rest: RestConnector;
}
export type ConnectorKind = keyof ConnectorKinds;

export interface KindContract<C extends Connector> {
  /** Every method of the contract (the names plugin connectors declare and receive in `call`). */
  methods: readonly string[];
  /** What every driver of the kind must implement. */
  required: readonly string[];
  fromCall(base: Connector & { call: GenericCall }): C;
}

export const CONNECTOR_KINDS: { readonly [K in ConnectorKind]: KindContract<ConnectorKinds[K]> } = {
  db: { methods: DB_METHODS, required: DB_REQUIRED, fromCall: dbFromCall },
  sftp: { methods: FILES_METHODS, required: FILES_REQUIRED, fromCall: filesFromCall },
  smb: { methods: FILES_METHODS, required: FILES_REQUIRED, fromCall: filesFromCall },
  mail: { methods: MAIL_METHODS, required: MAIL_REQUIRED, fromCall: mailFromCall },
  archive: { methods: ARCHIVE_METHODS, required: ARCHIVE_REQUIRED, fromCall: archiveFromCall },
  rest: { methods: REST_METHODS, required: REST_REQUIRED, fromCall: restFromCall },
};

/** Whether `kind` is one of the typed kinds. */
export function isConnectorKind(kind: string): kind is ConnectorKind {
  return Object.hasOwn(CONNECTOR_KINDS, kind);
}
