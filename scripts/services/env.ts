// The coordinates of the test services, as the harness hands them to tests: JSON in the AF_TEST_SERVICES
// environment variable (`deno task test`) or in .test-services/env.json (`deno task services start`).
// docs/testing.md describes every field.
import type { ProcessRef } from "./_process.ts";

export const SERVICES_ENV_VAR = "AF_TEST_SERVICES";
/** Relative to the repository root; gitignored. */
export const SERVICES_ENV_FILE = ".test-services/env.json";

export const SERVICE_NAMES = ["postgres", "mariadb", "sftp", "smb"] as const;
export type ServiceName = typeof SERVICE_NAMES[number];

export interface PostgresInfo {
  host: string;
  port: number;
  /** A superuser (password auth, SCRAM over TCP): create per-test databases with it. */
  user: string;
  password: string;
  /** A database created at start (`app`), shared by every test. */
  database: string;
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Directory of the Unix socket (`.s.PGSQL.<port>`), trust auth as `user`. */
  socketDir: string;
}

export interface MariadbInfo {
  host: string;
  port: number;
  /** `app`@127.0.0.1 with all privileges (it can create per-test databases); mysql_native_password. */
  user: string;
  password: string;
  database: string;
  /** `mysql://user:password@host:port/database`. */
  url: string;
  /** Unix socket; root logs in over it by unix_socket auth (OS root only). */
  socket: string;
}

export interface SftpUser {
  user: string;
  /** Remote path of the writable start directory (the server's `-d`). */
  home: string;
  /** The same directory on the local file system (tests run on the server's machine). */
  localHome: string;
  uid: number;
  gid: number;
}

export interface SftpInfo {
  host: string;
  port: number;
  /** Host key (ed25519) sha256 as lowercase hex: what ssh2's `hostHash: "sha256"` hands to `hostVerifier`. */
  hostKeySha256Hex: string;
  /** The same key as `ssh-keygen -lf` prints it: `SHA256:<base64>`. */
  hostKeyFingerprint: string;
  /** Path of the host's public key (OpenSSH format), e.g. for a known_hosts line. */
  hostPublicKeyPath: string;
  /** Password-only user, chrooted (`ChrootDirectory`): remote `/` is `chroot`, remote `home` is writable. */
  passwordUser: SftpUser & { password: string; chroot: string };
  /** Key-only user (ed25519, OpenSSH format, no passphrase), not chrooted: remote paths are local paths. */
  keyUser: SftpUser & { privateKeyPath: string; publicKeyPath: string; authorizedKeysPath: string };
}

export interface SmbInfo {
  host: string;
  port: number;
  /** NTLMv2 user of the private passdb. */
  user: string;
  password: string;
  domain: string;
  /** Writable share and its local directory. */
  share: string;
  sharePath: string;
  /** A share that requires SMB3 encryption (`smb encrypt = required`): `smbclient --client-protection=encrypt`. */
  encryptedShare: string;
  encryptedSharePath: string;
  /** A second smbd with `server signing = mandatory`, serving the same shares and user. */
  signingPort: number;
  uid: number;
  gid: number;
}

export interface ServicesEnv {
  /** Scratch directory holding data dirs, configs, keys and logs. */
  scratch: string;
  /** Started by `services start` (outlives the harness) rather than by `deno task test`. */
  persistent: boolean;
  processes: ProcessRef[];
  postgres?: PostgresInfo;
  mariadb?: MariadbInfo;
  sftp?: SftpInfo;
  smb?: SmbInfo;
  /** Services that are not there, why, and whether a test that needs one must FAIL (the harness tried to
   * start it) rather than be ignored (not root, package not installable). */
  missing: Partial<Record<ServiceName, { reason: string; fail: boolean }>>;
}
