// Built-in connector definitions, as an explicit list (no side-effect registration). One driver per file in
// drivers/, named after its registry key (`sftp:paramiko` -> drivers/sftp_paramiko.ts).
import { echoConnector } from "./drivers/echo_echo.ts";
import { sftpParamiko } from "./drivers/sftp_paramiko.ts";
import { smbPysmb } from "./drivers/smb_pysmb.ts";
import { smbSmbclient } from "./drivers/smb_smbclient.ts";
import type { AnyConnectorDefinition } from "./types.ts";

export const BUILTIN_CONNECTORS: readonly AnyConnectorDefinition[] = [
  echoConnector,
  sftpParamiko,
  smbSmbclient,
  smbPysmb,
];
