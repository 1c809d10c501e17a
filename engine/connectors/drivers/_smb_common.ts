// The files connector both SMB drivers share, over the `smbclient` program (docs/connectors.md
// "smb:smbclient, smb:pysmb"). The two drivers differ only where upstream's libraries did: config keys, UNC
// handling, the listing's `path`, the no-share message and whether `delete` raises.
import { dirname, join } from "node:path";
import { errorMessage } from "../../errors.ts";
import type { FilesConnector, RemoteFileInfo } from "../kinds/files.ts";
import type { ConnectorCreateContext } from "../types.ts";
import { parseSmbPath } from "./_smb_path.ts";
import {
  parseSmbLs,
  runSmbclient,
  smbclientFailure,
  type SmbclientTarget,
  smbError,
  smbQuote,
} from "./_smbclient.ts";

export interface SmbSettings {
  server: string;
  port: number;
  share: string;
  username: string;
  password: string;
  domain: string;
  protection: SmbclientTarget["protection"];
  timeoutSeconds: number;
  program: string;
  atomicUploads: boolean;
}

/** The settings of a parsed SMB resource (both drivers' config and options share these keys). */
export function smbSettingsOf(
  c: {
    server: string;
    port: number;
    share: string;
    username: string | null;
    user: string | null;
    password: string;
    domain: string;
    protection: SmbSettings["protection"];
  },
  o: { timeout: number; smbclient: string; atomic_uploads: boolean },
): SmbSettings {
  return {
    server: c.server,
    port: c.port,
    share: c.share,
    username: c.username ?? c.user ?? "",
    password: c.password,
    domain: c.domain,
    protection: c.protection,
    timeoutSeconds: o.timeout,
    program: o.smbclient,
    atomicUploads: o.atomic_uploads,
  };
}

export interface SmbFlavour {
  driver: "smbclient" | "pysmb";
  /** smbclient: a UNC path names the host and share; pysmb: only the share, and only without config.share. */
  uncHost: boolean;
  noShareMessage(path: string): string;
  /** The `path` of a listed entry. */
  entryPath(
    input: { remoteDir: string; server: string; share: string; parts: string[]; name: string },
  ): string;
  deleteRaises: boolean;
}

export const SMBCLIENT_FLAVOUR: SmbFlavour = {
  driver: "smbclient",
  uncHost: true,
  noShareMessage: () => "SMB path requires a share (set config.share or use 'SHARE:/path' form)",
  entryPath: ({ server, share, parts, name }) => `\\\\${[server, share, ...parts, name].join("\\")}`,
  deleteRaises: true,
};

export const PYSMB_FLAVOUR: SmbFlavour = {
  driver: "pysmb",
  uncHost: false,
  noShareMessage: (path) => `smb-pysmb path requires a share (set config.share or use 'SHARE:/path') ${path}`,
  entryPath: ({ remoteDir, name }) => `${remoteDir.replace(/\/+$/, "")}/${name}`,
  deleteRaises: false,
};

interface _Resolved {
  host: string;
  share: string;
  parts: string[];
  /** Share-relative, backslash-separated (smbclient resolves names against its current dir, `\` at start). */
  rel: string;
}

// A local path smbclient must read or write; one with a `"` is reached through a symlink with a plain name.
async function _localAlias(path: string, scratch: () => Promise<string>, isDir: boolean): Promise<string> {
  if (!/["\r\n]/.test(path)) return path;
  const alias = join(await scratch(), `l${crypto.randomUUID()}`);
  await Deno.symlink(path, alias, { type: isDir ? "dir" : "file" });
  return alias;
}

export function createSmb(
  name: string,
  s: SmbSettings,
  flavour: SmbFlavour,
  ctx: Pick<ConnectorCreateContext, "log" | "signal">,
): FilesConnector & { probe(): Promise<string> } {
  const where = (r: _Resolved) => `//${r.host}:${s.port}/${r.share}`;
  let scratchDir: string | undefined;
  const scratch = async () => scratchDir ??= await Deno.makeTempDir({ prefix: "aetherflow-smb-l-" });

  function resolve(path: string): _Resolved {
    const p = parseSmbPath(path);
    const host = flavour.uncHost && p.host !== null ? p.host : s.server;
    const share = flavour.uncHost
      ? (p.share ?? s.share)
      : p.host !== null
      ? (s.share !== "" ? s.share : p.share!)
      : (p.share ?? s.share);
    if (share === "") throw smbError(flavour.noShareMessage(path));
    return { host, share, parts: p.parts, rel: p.parts.join("\\") };
  }

  async function session(r: _Resolved, commands: string[], allow?: (line: string) => boolean) {
    const t: SmbclientTarget = {
      program: s.program,
      host: r.host,
      port: s.port,
      share: r.share,
      username: s.username,
      password: s.password,
      domain: s.domain,
      protection: s.protection,
      timeoutSeconds: s.timeoutSeconds,
      signal: ctx.signal,
    };
    const out = await runSmbclient(t, commands);
    const failure = smbclientFailure(out.lines, out.code, allow);
    return { ...out, failure };
  }

  async function op<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw smbError(`SMB ${what} ${path} failed: ${errorMessage(err)}`, err);
    }
  }

  /** `mkdir` of every missing level of `parts` (existing ones are fine). */
  const mkdirs = (parts: string[]) =>
    parts.map((_, i) => `mkdir ${smbQuote(parts.slice(0, i + 1).join("\\"))}`);
  const collision = (line: string) => /NT_STATUS_OBJECT_NAME_COLLISION making remote directory/.test(line);

  const connector: FilesConnector & { probe(): Promise<string> } = {
    resource: name,

    list: ({ path }) =>
      op("list", path, async () => {
        const r = resolve(path);
        const cmds = r.rel === "" ? ["ls"] : [`cd ${smbQuote(r.rel)}`, "ls"];
        const out = await session(r, cmds);
        if (out.failure) throw new Error(`${out.failure} on ${where(r)}`);
        return parseSmbLs(out.lines).map((e): RemoteFileInfo => ({
          path: flavour.entryPath({
            remoteDir: path,
            server: r.host,
            share: r.share,
            parts: r.parts,
            name: e.name,
          }),
          name: e.name,
          is_dir: e.isDir,
          size: e.isDir ? null : e.size,
          mtime: e.mtime,
        }));
      }),

    download: ({ remote, local }) =>
      op("download", remote, async () => {
        const r = resolve(remote);
        // A plain-named `.part` beside the target, renamed over it once complete.
        const partName = `.${crypto.randomUUID()}.part`;
        const part = join(dirname(local), partName);
        const target = join(await _localAlias(dirname(local), scratch, true), partName);
        try {
          const out = await session(r, [`get ${smbQuote(r.rel)} ${smbQuote(target)}`]);
          if (out.failure) throw new Error(`${out.failure} on ${where(r)}`);
          // smbclient names the size it fetched; a shorter local file means the transfer was cut.
          const size = out.lines.map((l) => /^getting file .* of size (\d+) as /.exec(l)?.[1]).find((x) => x);
          const got = (await Deno.stat(part)).size;
          if (size === undefined || Number(size) !== got) {
            throw new Error(`incomplete transfer (${got} of ${size ?? "?"} bytes) from ${where(r)}`);
          }
          await Deno.rename(part, local);
        } catch (err) {
          await Deno.remove(part).catch(() => {});
          throw err;
        }
      }),

    upload: ({ local, remote }) =>
      op("upload", remote, async () => {
        const r = resolve(remote);
        if (r.parts.length === 0) throw new Error("the remote path names no file");
        const src = await _localAlias(local, scratch, false);
        const dest = s.atomicUploads ? `${r.rel}.part` : r.rel;
        const cmds = [...mkdirs(r.parts.slice(0, -1)), `put ${smbQuote(src)} ${smbQuote(dest)}`];
        if (dest !== r.rel) cmds.push(`rename ${smbQuote(dest)} ${smbQuote(r.rel)} -f`);
        const out = await session(r, cmds, collision);
        if (out.failure) {
          if (dest !== r.rel) await session(r, [`del ${smbQuote(dest)}`]).catch(() => {});
          throw new Error(`${out.failure} on ${where(r)}`);
        }
      }),

    delete: async ({ path }) => {
      try {
        await op("delete", path, async () => {
          const r = resolve(path);
          const file = await session(r, [`del ${smbQuote(r.rel)}`]);
          if (!file.failure) return;
          const dir = await session(r, [`rmdir ${smbQuote(r.rel)}`]);
          if (dir.failure) throw new Error(`${file.failure} on ${where(r)}`);
        });
      } catch (err) {
        if (flavour.deleteRaises) throw err;
        ctx.log.warn(`smb resource ${name}: ${errorMessage(err)}`); // upstream's pysmb driver only logged
      }
    },

    read_bytes: ({ path }) =>
      op("read", path, async () => {
        const dir = await scratch();
        const tmp = join(dir, `r${crypto.randomUUID()}`);
        try {
          await connector.download({ remote: path, local: tmp });
          return await Deno.readFile(tmp);
        } finally {
          await Deno.remove(tmp).catch(() => {});
        }
      }),

    write_bytes: ({ path, data }) =>
      op("write", path, async () => {
        const dir = await scratch();
        const tmp = join(dir, `w${crypto.randomUUID()}`);
        try {
          await Deno.writeFile(tmp, data, { mode: 0o600 });
          await connector.upload({ local: tmp, remote: path });
        } finally {
          await Deno.remove(tmp).catch(() => {});
        }
      }),

    mkdir: ({ path }) =>
      op("mkdir", path, async () => {
        const r = resolve(path);
        const out = await session(r, [`mkdir ${smbQuote(r.rel)}`]);
        if (out.failure) throw new Error(`${out.failure} on ${where(r)}`);
      }),

    mkdir_recursive: async ({ path }) => {
      try {
        await op("mkdir", path, async () => {
          const r = resolve(path);
          const out = await session(r, mkdirs(r.parts), collision);
          if (out.failure) throw new Error(`${out.failure} on ${where(r)}`);
        });
      } catch (err) {
        ctx.log.warn(`smb resource ${name}: ${errorMessage(err)}`);
      }
    },

    delete_recursive: async ({ path }) => {
      try {
        await op("delete", path, async () => {
          const r = resolve(path);
          if (r.rel === "") throw new Error("refusing to delete a share root");
          const out = await session(r, [`deltree ${smbQuote(r.rel)}`]);
          if (out.failure) throw new Error(`${out.failure} on ${where(r)}`);
        });
      } catch (err) {
        ctx.log.warn(`smb resource ${name}: ${errorMessage(err)}`);
      }
    },

    async probe() {
      const entries = await connector.list({ path: "/" });
      return `logged in as ${s.username}, listed the share root: ${entries.length} entries`;
    },

    async close() {
      if (scratchDir) await Deno.remove(scratchDir, { recursive: true }).catch(() => {});
      scratchDir = undefined;
    },
  };
  return connector;
}
