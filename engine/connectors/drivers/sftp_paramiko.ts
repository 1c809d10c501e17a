/**
 * `sftp:paramiko` on npm `ssh2-sftp-client` (over `ssh2`), loaded lazily (docs/connectors.md "sftp:paramiko").
 *
 * - Every SSH connection runs over a socket we connect ourselves with TCP_NODELAY: ssh2 never sets it, and with
 *   Nagle on each SFTP round trip stalls ~40 ms against the server's delayed ACK.
 * - Connections are pooled per connector instance (one operation at a time on each, up to
 *   `options.max_connections`), opened on first use, reopened after a failure and closed by `close()`.
 * - Host keys: pinned by `config.host_key_fingerprint`; otherwise accepted, with one warning naming the key seen.
 * - Ciphers: `options.ciphers`, by default OpenSSH's order (chacha20-poly1305, AES-CTR, AES-GCM): see below.
 * - Downloads land in `<local>.part` and are renamed when complete; uploads go to `<remote>.part` and are renamed
 *   over the target (`options.atomic_uploads`), so a cut transfer never leaves a complete-looking file.
 * @module
 */
import { Buffer } from "node:buffer";
import type { z } from "zod";
import { AetherflowError, errorMessage, EXIT } from "../../errors.ts";
import { fail, field, fields } from "../../inputs/mod.ts";
import type { FilesConnector, RemoteFileInfo } from "../kinds/files.ts";
import { type ConnectorCreateContext, defineConnector } from "../types.ts";
import { fingerprintHex, fingerprintText } from "./_sftp_host_key.ts";

const _FINGERPRINTS = field((v, ctx) => {
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    const hex = typeof item === "string" ? fingerprintHex(item) : null;
    if (hex === null) {
      return fail(
        ctx,
        "must be a host key fingerprint (SHA256:… as `ssh-keygen -lf` prints it, or 64 hex digits) or a list of them",
      );
    }
    out.push(hex);
  }
  return out;
}, { required: false, fallback: [] as string[] });

export const SFTP_CONFIG = fields.fixedMap({
  host: fields.text({ nonEmpty: true }),
  port: fields.int({ default: 22, min: 1 }),
  user: fields.text({ nonEmpty: true }),
  password: fields.text({ default: null, scalars: true }),
  pkey_path: fields.text({ default: null }),
  passphrase: fields.text({ default: null, scalars: true }),
  host_key_fingerprint: _FINGERPRINTS,
});

/**
 * Ciphers offered by default: OpenSSH's own default order (`Ciphers` in ssh_config(5)). ssh2's default puts
 * AES-GCM first, which under Deno's node:crypto (no native ssh2 binding) builds a cipher object per packet:
 * about three times the CPU per byte of chacha20-poly1305; AES-CTR (one cipher stream, but an HMAC object per
 * packet) lies in between (docs/steps.md "Transfer throughput (measured)").
 */
export const SFTP_DEFAULT_CIPHERS: readonly string[] = [
  "chacha20-poly1305@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
];

/** What `options.ciphers` may name: the defaults, plus AES-CBC for old servers (only when asked for). */
const _KNOWN_CIPHERS: readonly string[] = [...SFTP_DEFAULT_CIPHERS, "aes128-cbc", "aes192-cbc", "aes256-cbc"];

/** `options.ciphers`: null when absent (the default order applies). */
const _CIPHERS = field((v, ctx) => {
  const list = (Array.isArray(v) ? v : [v]).map((c) => typeof c === "string" ? c.trim() : c);
  if (list.length === 0) return fail(ctx, "must name at least one cipher");
  for (const item of list) {
    if (typeof item !== "string" || !_KNOWN_CIPHERS.includes(item)) {
      return fail(
        ctx,
        `names an unknown SSH cipher ${JSON.stringify(item)}; known: ${_KNOWN_CIPHERS.join(", ")}`,
      );
    }
  }
  return list as string[];
}, { required: false, fallback: null as string[] | null });

export const SFTP_OPTIONS = fields.fixedMap({
  timeout: fields.number({ default: 30, min: 0 }),
  ciphers: _CIPHERS,
  max_connections: fields.int({ default: 8, min: 1 }),
  atomic_uploads: fields.bool({ default: true }),
  cache: fields.text({ default: null }),
});

type _Config = z.output<typeof SFTP_CONFIG>;
type _Options = z.output<typeof SFTP_OPTIONS>;

/** The part of an `ssh2-sftp-client` instance this driver uses. */
interface _Client {
  sftp: unknown;
  client: { on(event: string, fn: (...args: never[]) => void): void };
  connect(config: Record<string, unknown>): Promise<unknown>;
  list(path: string): Promise<{ type: string; name: string; size: number; modifyTime: number }[]>;
  fastGet(remote: string, local: string, options?: Record<string, unknown>): Promise<unknown>;
  fastPut(local: string, remote: string, options?: Record<string, unknown>): Promise<unknown>;
  get(remote: string): Promise<unknown>;
  put(data: Buffer, remote: string): Promise<unknown>;
  mkdir(path: string, recursive?: boolean): Promise<unknown>;
  delete(path: string): Promise<unknown>;
  rmdir(path: string, recursive?: boolean): Promise<unknown>;
  rename(from: string, to: string): Promise<unknown>;
  posixRename(from: string, to: string): Promise<unknown>;
  exists(path: string): Promise<false | string>;
  end(): Promise<unknown>;
}

type _ClientClass = new (name: string, callbacks: Record<string, () => void>) => _Client;

/** Transfer tuning: 32 requests of 128 KiB in flight; fewer, larger SFTP packets cost less JS per byte. */
const _XFER = { concurrency: 32, chunkSize: 131072 };

/** The cipher list offered: the operator's, else the default without chacha20 where node:crypto lacks it. */
async function _cipherOrder(chosen: string[] | null): Promise<string[]> {
  if (chosen !== null) return [...chosen];
  const { getCiphers } = await import("node:crypto");
  const chacha = getCiphers().includes("chacha20");
  return SFTP_DEFAULT_CIPHERS.filter((c) => chacha || !c.startsWith("chacha20"));
}

function _err(message: string, cause?: unknown): AetherflowError {
  return new AetherflowError(message, { code: "connector:sftp", exitCode: EXIT.FAILED, cause });
}

/** The library's message without its `method:` / `method->` prefixes. */
function _libMessage(err: unknown): string {
  return errorMessage(err).replace(/^(?:[A-Za-z_]+(?::|->)\s*)+/, "").trim();
}

/** `SFTP <op> <path> failed: <reason>`; the reason never contains credentials (ssh2 never prints them). */
function _opError(op: string, path: string, err: unknown): AetherflowError {
  if (err instanceof AetherflowError) return err;
  let msg = _libMessage(err);
  if (msg.endsWith(path)) msg = msg.slice(0, -path.length).trim(); // the library repeats the path
  return _err(`SFTP ${op} ${path} failed: ${msg}`, err);
}

/** Parent directory of a remote path ("" when it has none). */
export function remoteParent(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return "";
  return i === 0 ? "/" : trimmed.slice(0, i);
}

class _Pool {
  #idle: _Client[] = [];
  #open = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #all = new Set<_Client>();

  constructor(readonly max: number, readonly open: () => Promise<_Client>) {}

  async use<T>(fn: (c: _Client) => Promise<T>): Promise<T> {
    const c = await this.#acquire();
    try {
      return await fn(c);
    } finally {
      this.#release(c);
    }
  }

  async #acquire(): Promise<_Client> {
    for (;;) {
      if (this.#closed) throw _err("SFTP connector is closed");
      const idle = this.#idle.pop();
      if (idle) {
        if (idle.sftp) return idle;
        this.#drop(idle);
        continue;
      }
      if (this.#open < this.max) {
        this.#open++;
        try {
          const c = await this.open();
          this.#all.add(c);
          return c;
        } catch (err) {
          this.#open--;
          this.#wake();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(c: _Client): void {
    if (this.#closed || !c.sftp) this.#drop(c);
    else this.#idle.push(c);
    this.#wake();
  }

  #drop(c: _Client): void {
    if (!this.#all.delete(c)) return;
    this.#open--;
    c.end().catch(() => {});
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }

  /** End every connection; running operations fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#all];
    this.#all.clear();
    this.#idle = [];
    this.#open = 0;
    for (const w of this.#waiters.splice(0)) w();
    await Promise.all(all.map((c) => c.end().catch(() => {})));
  }

  /** Abort: destroy every connection now (the sockets close, pending operations reject). */
  destroyAll(): void {
    for (const c of this.#all) {
      (c as unknown as { client: { destroy?(): void } }).client.destroy?.();
    }
  }
}

/** What a connection failure means to a user (no credentials in any branch). */
function _connectError(config: _Config, err: unknown, seenHex: string | null): AetherflowError {
  const where = `${config.host}:${config.port}`;
  const msg = _libMessage(err);
  if (/verification failed/i.test(msg) && seenHex !== null) {
    return _err(
      `SFTP host key of ${where} is ${fingerprintText(seenHex)}, which is not config.host_key_fingerprint; ` +
        "refusing to connect",
      err,
    );
  }
  if (/authentication methods failed/i.test(msg)) {
    return _err(`SFTP login failed for ${config.user}@${where}: ${msg}`, err);
  }
  if (/invalid SEC1 private key/i.test(msg)) {
    return _err(
      `SFTP private key ${config.pkey_path} cannot sign: ECDSA keys must be in PEM format here ` +
        `(convert a copy with: ssh-keygen -p -m PEM -f <copy>): ${msg}`,
      err,
    );
  }
  return _err(`SFTP cannot connect to ${where}: ${msg}`, err);
}

async function _readKey(config: _Config): Promise<string> {
  try {
    return await Deno.readTextFile(config.pkey_path!);
  } catch (err) {
    throw _err(`SFTP private key ${config.pkey_path} cannot be read: ${errorMessage(err)}`, err);
  }
}

export const sftpParamiko = defineConnector({
  kind: "sftp",
  driver: "paramiko",
  origin: "builtin",
  config: SFTP_CONFIG,
  options: SFTP_OPTIONS,
  create(resource, ctx): FilesConnector & { probe(): Promise<string> } {
    return createSftp(resource.name, resource.config, resource.options, ctx);
  },
});

/** The connector over a parsed config (exported for the bundle source and tests). */
export function createSftp(
  name: string,
  config: _Config,
  options: _Options,
  ctx: Pick<ConnectorCreateContext, "log" | "signal">,
): FilesConnector & { probe(): Promise<string> } {
  const timeoutMs = Math.max(1, options.timeout) * 1000;
  const pinned = new Set(config.host_key_fingerprint);
  let warned = false;
  let keyText: Promise<string> | undefined;
  const madeDirs = new Set<string>();
  let cipher: string | undefined;

  async function open(): Promise<_Client> {
    // Bundled (`deno task bundle`, docs/install.md), ssh2's poly1305 module reads the CommonJS `__dirname`.
    const g = globalThis as { __dirname?: string; __filename?: string };
    g.__dirname ??= import.meta.dirname ?? "/";
    g.__filename ??= import.meta.filename ?? "/aetherflow.js";
    const { default: Client } = await import("ssh2-sftp-client") as unknown as { default: _ClientClass };
    const net = await import("node:net");
    const privateKey = config.pkey_path ? await (keyText ??= _readKey(config)) : undefined;
    const sock = net.connect({ host: config.host, port: config.port });
    sock.setNoDelay(true);
    let seenHex: string | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${options.timeout} s`)), timeoutMs);
        sock.once("connect", () => {
          clearTimeout(timer);
          resolve();
        });
        sock.once("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      const quiet = () => {};
      const client = new Client("aetherflow", { error: quiet, end: quiet, close: quiet });
      client.client.on(
        "handshake",
        ((negotiated: { cs?: { cipher?: string } }) => cipher = negotiated.cs?.cipher) as (
          ...args: never[]
        ) => void,
      );
      const ciphers = await _cipherOrder(options.ciphers);
      if (!privateKey && config.password !== null) {
        // Servers that only offer keyboard-interactive get the password as the answer to every prompt.
        client.client.on(
          "keyboard-interactive",
          ((_n: string, _i: string, _l: string, prompts: unknown[], finish: (a: string[]) => void) =>
            finish(prompts.map(() => config.password!))) as (...args: never[]) => void,
        );
      }
      await client.connect({
        sock,
        host: config.host,
        port: config.port,
        username: config.user,
        ...(privateKey
          ? { privateKey, ...(config.passphrase !== null ? { passphrase: config.passphrase } : {}) }
          : config.password !== null
          ? { password: config.password, tryKeyboard: true }
          : {}),
        algorithms: { cipher: ciphers },
        readyTimeout: timeoutMs,
        // A silent peer (cable cut, server frozen) is dropped after about `timeout` seconds.
        keepaliveInterval: Math.max(1000, Math.floor(timeoutMs / 3)),
        keepaliveCountMax: 3,
        hostHash: "sha256",
        hostVerifier: (hex: string) => {
          seenHex = hex;
          if (pinned.size > 0) return pinned.has(hex);
          if (!warned) {
            warned = true;
            ctx.log.warn(
              `sftp resource ${name}: host key of ${config.host}:${config.port} not verified ` +
                `(accepted ${fingerprintText(hex)}); pin it with config.host_key_fingerprint`,
            );
          }
          return true;
        },
      });
      return client;
    } catch (err) {
      sock.destroy();
      throw _connectError(config, err, seenHex);
    }
  }

  const pool = new _Pool(options.max_connections, open);
  const onAbort = () => pool.destroyAll();
  ctx.signal.addEventListener("abort", onAbort, { once: true });

  async function ensureDir(c: _Client, dir: string): Promise<void> {
    if (dir === "" || dir === "/" || dir === "." || madeDirs.has(dir)) return;
    try {
      await c.mkdir(dir, true);
    } catch (err) {
      // A parallel upload may have created it meanwhile.
      if ((await c.exists(dir).catch(() => false)) !== "d") throw err;
    }
    madeDirs.add(dir);
  }

  async function replace(c: _Client, from: string, to: string): Promise<void> {
    try {
      await c.posixRename(from, to); // OpenSSH: atomic, replaces the target
    } catch {
      // Servers without posix-rename: a plain rename refuses an existing target.
      await c.delete(to).catch(() => {});
      await c.rename(from, to);
    }
  }

  const connector: FilesConnector & { probe(): Promise<string> } = {
    resource: name,

    list: ({ path }) =>
      pool.use(async (c) => {
        try {
          const base = path.replace(/\/+$/, "");
          const entries = await c.list(path);
          return entries.map((e): RemoteFileInfo => {
            const isDir = e.type === "d";
            return {
              path: `${base}/${e.name}`,
              name: e.name,
              is_dir: isDir,
              size: isDir ? null : e.size,
              mtime: Number.isFinite(e.modifyTime) ? Math.floor(e.modifyTime / 1000) : null,
            };
          });
        } catch (err) {
          throw _opError("list", path, err);
        }
      }),

    download: ({ remote, local }) =>
      pool.use(async (c) => {
        const part = `${local}.part`;
        try {
          await c.fastGet(remote, part, _XFER);
          await Deno.rename(part, local);
        } catch (err) {
          await Deno.remove(part).catch(() => {});
          throw _opError("download", remote, err);
        }
      }),

    upload: ({ local, remote }) =>
      pool.use(async (c) => {
        const target = options.atomic_uploads ? `${remote}.part` : remote;
        try {
          await ensureDir(c, remoteParent(remote));
          await c.fastPut(local, target, _XFER);
          if (target !== remote) await replace(c, target, remote);
        } catch (err) {
          if (target !== remote && c.sftp) await c.delete(target).catch(() => {});
          throw _opError("upload", remote, err);
        }
      }),

    delete: ({ path }) =>
      pool.use(async (c) => {
        try {
          await c.delete(path);
        } catch (fileErr) {
          try {
            await c.rmdir(path, false);
          } catch {
            throw _opError("delete", path, fileErr);
          }
        }
      }),

    read_bytes: ({ path }) =>
      pool.use(async (c) => {
        try {
          return new Uint8Array(await c.get(path) as Buffer);
        } catch (err) {
          throw _opError("read", path, err);
        }
      }),

    write_bytes: ({ path, data }) =>
      pool.use(async (c) => {
        try {
          await ensureDir(c, remoteParent(path));
          await c.put(Buffer.from(data), path);
        } catch (err) {
          throw _opError("write", path, err);
        }
      }),

    mkdir: ({ path }) =>
      pool.use(async (c) => {
        try {
          await c.mkdir(path, false);
        } catch (err) {
          throw _opError("mkdir", path, err);
        }
      }),

    mkdir_recursive: ({ path }) =>
      pool.use(async (c) => {
        try {
          await ensureDir(c, path);
        } catch (err) {
          ctx.log.warn(`sftp resource ${name}: ${_opError("mkdir", path, err).message}`);
        }
      }),

    delete_recursive: ({ path }) =>
      pool.use(async (c) => {
        try {
          const kind = await c.exists(path);
          if (kind === "d") await c.rmdir(path, true);
          else if (kind) await c.delete(path);
        } catch (err) {
          ctx.log.warn(`sftp resource ${name}: ${_opError("delete", path, err).message}`);
        }
      }),

    async probe() {
      const entries = await connector.list({ path: "." });
      return `logged in as ${config.user} (cipher ${cipher ?? "unknown"}), listed the start directory: ` +
        `${entries.length} entries`;
    },

    async close() {
      ctx.signal.removeEventListener("abort", onAbort);
      await pool.close();
    },
  };
  return connector;
}
