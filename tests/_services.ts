// Typed access to the real servers started by `deno task test` / `deno task services start` (docs/testing.md).
//
//   const pg = postgresService();
//   Deno.test({ name: "…", ignore: pg.ignore }, async () => {
//     await using db = await postgresDatabase();          // a fresh database, dropped afterwards
//     const sql = postgres(db.url); …
//   });
//
// `ignore` is true only when the service is absent for a reason the harness accepts (not root, package not
// installable, no harness at all); `get()` then or otherwise throws, so a test needing a service the harness
// tried and failed to start FAILS with the reason.
import { join } from "node:path";
import { readServicesFileSync, SERVICES_FILE } from "../scripts/services/file.ts";
import {
  type MariadbInfo,
  type PostgresInfo,
  type ServiceName,
  SERVICES_ENV_VAR,
  type ServicesEnv,
  type SftpInfo,
  type SmbInfo,
} from "../scripts/services/env.ts";

export type { MariadbInfo, PostgresInfo, ServiceName, ServicesEnv, SftpInfo, SmbInfo };

export interface ServiceRef<T> {
  readonly name: ServiceName;
  /** Pass to `Deno.test`'s `ignore`. */
  readonly ignore: boolean;
  /** Why the service is absent (undefined when it is there). */
  readonly reason?: string;
  /** The coordinates; throws with the reason when the service is absent. */
  get(): T;
}

function _procAlive(pid: number, startTime: string): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && fields[19] === startTime;
  } catch {
    return false;
  }
}

/** The services description in force: AF_TEST_SERVICES, else .test-services/env.json, else none. */
export function loadServicesEnv(): ServicesEnv | undefined {
  const raw = Deno.env.get(SERVICES_ENV_VAR);
  if (raw) return JSON.parse(raw) as ServicesEnv;
  const file = readServicesFileSync();
  if (!file) return undefined;
  if (file.processes.every((p) => _procAlive(p.pid, p.startTime))) return file;
  // A stale file means the developer wants servers but they are gone: fail loudly rather than skip.
  const stale: ServicesEnv = {
    ...file,
    postgres: undefined,
    mariadb: undefined,
    sftp: undefined,
    smb: undefined,
  };
  const reason =
    `the servers of ${SERVICES_FILE} are gone: \`deno task services stop && deno task services start\``;
  stale.missing = Object.fromEntries(
    ["postgres", "mariadb", "sftp", "smb"].map((n) => [n, { reason, fail: true }]),
  );
  return stale;
}

const NO_HARNESS = "no test services: run `deno task test` (starts them) or `deno task services start` first";
const _warned = new Set<string>();

/** Pure resolution of one service against an env (exported for the harness's own tests). */
export function resolveService<T>(env: ServicesEnv | undefined, name: ServiceName): ServiceRef<T> {
  const info = env?.[name] as T | undefined;
  if (info !== undefined) return { name, ignore: false, get: () => info };
  const missing = env?.missing[name] ?? { reason: NO_HARNESS, fail: false };
  return {
    name,
    ignore: !missing.fail,
    reason: missing.reason,
    get(): T {
      throw new Error(`test service ${name} unavailable: ${missing.reason}`);
    },
  };
}

let _env: ServicesEnv | undefined | null = null;

function _service<T>(name: ServiceName): ServiceRef<T> {
  if (_env === null) _env = loadServicesEnv();
  const ref = resolveService<T>(_env, name);
  if (ref.ignore && !_warned.has(name)) {
    _warned.add(name);
    console.error(`ignoring ${name} tests: ${ref.reason}`);
  }
  return ref;
}

/** PostgreSQL 15 (Debian), superuser with password over TCP. */
export const postgresService = (): ServiceRef<PostgresInfo> => _service("postgres");
/** MariaDB 10.11 (Debian), user `app` with all privileges. */
export const mariadbService = (): ServiceRef<MariadbInfo> => _service("mariadb");
/** OpenSSH sshd (SFTP only): a chrooted password user and a key user. */
export const sftpService = (): ServiceRef<SftpInfo> => _service("sftp");
/** Samba smbd (SMB2+, NTLMv2): a writable share, an encryption-only share, a signing-mandatory instance. */
export const smbService = (): ServiceRef<SmbInfo> => _service("smb");

const _suffix = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12);

export interface TestDatabase extends AsyncDisposable {
  /** Database name (`t_<random>`). */
  name: string;
  /** URL for the service's user and this database. */
  url: string;
}

/** A fresh PostgreSQL database for one test (tests run in parallel), dropped on dispose. */
export async function postgresDatabase(info = postgresService().get()): Promise<TestDatabase> {
  const { default: postgres } = await import("postgres");
  const name = `t_${_suffix()}`;
  const exec = async (statement: string) => {
    const { host, port, user, password } = info;
    const admin = postgres({ host, port, user, password, database: "postgres", onnotice: () => {}, max: 1 });
    try {
      await admin.unsafe(statement);
    } finally {
      await admin.end();
    }
  };
  await exec(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://${info.user}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/${name}`,
    [Symbol.asyncDispose]: () => exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A fresh MariaDB database for one test, dropped on dispose. */
export async function mariadbDatabase(info = mariadbService().get()): Promise<TestDatabase> {
  const mysql = await import("mysql2/promise");
  const name = `t_${_suffix()}`;
  const exec = async (sql: string) => {
    const { host, port, user, password } = info;
    const conn = await mysql.createConnection({ host, port, user, password });
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  };
  await exec(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `mysql://${info.user}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/${name}`,
    [Symbol.asyncDispose]: () => exec(`DROP DATABASE IF EXISTS ${name}`),
  };
}

export interface RemoteDir extends AsyncDisposable {
  /** The directory as the server's client sees it (SFTP path, or path inside the SMB share). */
  remote: string;
  /** The same directory on the local file system. */
  local: string;
}

/** Write a file into a served directory, owned by the service user (so the user may overwrite or delete it). */
export async function writeServedFile(
  dir: RemoteDir & { uid: number; gid: number },
  relative: string,
  data: Uint8Array | string,
): Promise<string> {
  const path = join(dir.local, relative);
  // Parents created here belong to the user too, so it may delete what it finds in them.
  const parts = relative.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const sub = join(dir.local, ...parts.slice(0, i));
    await Deno.mkdir(sub, { recursive: true });
    await Deno.chown(sub, dir.uid, dir.gid);
  }
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  await Deno.chown(path, dir.uid, dir.gid);
  return path;
}

async function _ownedDir(parent: string, uid: number, gid: number): Promise<string> {
  const name = `t_${_suffix()}`;
  const local = join(parent, name);
  await Deno.mkdir(local);
  await Deno.chown(local, uid, gid);
  return name;
}

/** A fresh directory in an SFTP user's writable home, owned by that user, removed on dispose. */
export async function sftpDir(
  user: "password" | "key",
  info = sftpService().get(),
): Promise<RemoteDir & { uid: number; gid: number }> {
  const u = user === "password" ? info.passwordUser : info.keyUser;
  const name = await _ownedDir(u.localHome, u.uid, u.gid);
  const local = join(u.localHome, name);
  return {
    remote: `${u.home}/${name}`,
    local,
    uid: u.uid,
    gid: u.gid,
    [Symbol.asyncDispose]: () => Deno.remove(local, { recursive: true }).catch(() => {}),
  };
}

/** A fresh directory in an SMB share (default `share`), owned by the SMB user, removed on dispose. */
export async function smbDir(
  options: { encrypted?: boolean } = {},
  info = smbService().get(),
): Promise<RemoteDir & { share: string; uid: number; gid: number }> {
  const root = options.encrypted ? info.encryptedSharePath : info.sharePath;
  const name = await _ownedDir(root, info.uid, info.gid);
  const local = join(root, name);
  return {
    share: options.encrypted ? info.encryptedShare : info.share,
    remote: name,
    local,
    uid: info.uid,
    gid: info.gid,
    [Symbol.asyncDispose]: () => Deno.remove(local, { recursive: true }).catch(() => {}),
  };
}
