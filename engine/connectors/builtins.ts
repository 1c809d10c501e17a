// Built-in connector definitions, as an explicit list (no side-effect registration). One driver per file in
// drivers/, named after its registry key (`sftp:paramiko` -> drivers/sftp_paramiko.ts).
import { dbDuckdb } from "./drivers/db_duckdb.ts";
import { dbExasol } from "./drivers/db_exasol.ts";
import { dbMysql } from "./drivers/db_mysql.ts";
import { dbOracledb } from "./drivers/db_oracledb.ts";
import { dbPostgres } from "./drivers/db_postgres.ts";
import { dbSqlalchemy } from "./drivers/db_sqlalchemy.ts";
import { dbSqlite3 } from "./drivers/db_sqlite3.ts";
import { archiveExternal } from "./drivers/archive_external.ts";
import { archiveOs } from "./drivers/archive_os.ts";
import { archivePyminizip } from "./drivers/archive_pyminizip.ts";
import { archivePyzipper } from "./drivers/archive_pyzipper.ts";
import { archiveZipfile } from "./drivers/archive_zipfile.ts";
import { echoConnector } from "./drivers/echo_echo.ts";
import { sftpParamiko } from "./drivers/sftp_paramiko.ts";
import { smbPysmb } from "./drivers/smb_pysmb.ts";
import { smbSmbclient } from "./drivers/smb_smbclient.ts";
import { mailSmtp } from "./drivers/mail_smtp.ts";
import { restHttpx } from "./drivers/rest_httpx.ts";
import type { AnyConnectorDefinition } from "./types.ts";

export const BUILTIN_CONNECTORS: readonly AnyConnectorDefinition[] = [
  echoConnector,
  sftpParamiko,
  smbSmbclient,
  smbPysmb,
  dbDuckdb,
  dbExasol,
  dbMysql,
  dbOracledb,
  dbPostgres,
  dbSqlalchemy,
  dbSqlite3,
  archiveExternal,
  archiveOs,
  archivePyminizip,
  archivePyzipper,
  archiveZipfile,
  mailSmtp,
  restHttpx,
];
