// Samba smbd from the Debian package, in the foreground with a private smb.conf on 127.0.0.1:<free port>:
// SMB2+ only, NTLMv2 only, every state directory and the passdb inside the scratch dir. Two instances share
// the same directories: one default, one with `server signing = mandatory` (signing is a global setting).
import { join } from "node:path";
import type { SmbInfo } from "./env.ts";
import type { StartContext, Started } from "./_context.ts";
import { run, type Server, spawnServer, tcpReady, waitReady, withFreePort } from "./_process.ts";

export const SMB_USER = "afsmb";

async function _smbd(
  ctx: StartContext,
  instance: string,
  shares: { share: string; encrypted: string },
  extra: string[],
): Promise<{ port: number; server: Server }> {
  const d = join(ctx.scratch, `smb-${instance}`);
  const dirs = ["private", "lock", "state", "cache", "pid", "log", "ncalrpc", "binddns"];
  await Promise.all(dirs.map((x) => Deno.mkdir(join(d, x), { recursive: true })));
  const user = ctx.users[SMB_USER];
  return await withFreePort(async (port) => {
    const conf = join(d, "smb.conf");
    await Deno.writeTextFile(
      conf,
      [
        "[global]",
        "  workgroup = WORKGROUP",
        `  netbios name = AFTEST${instance.toUpperCase().slice(0, 8)}`,
        "  server role = standalone server",
        "  map to guest = never",
        `  passdb backend = tdbsam:${d}/private/passdb.tdb`,
        `  private dir = ${d}/private`,
        `  lock directory = ${d}/lock`,
        `  state directory = ${d}/state`,
        `  cache directory = ${d}/cache`,
        `  pid directory = ${d}/pid`,
        `  ncalrpc dir = ${d}/ncalrpc`,
        `  binddns dir = ${d}/binddns`,
        `  log file = ${d}/log/log.%m`,
        "  log level = 1",
        "  interfaces = 127.0.0.1",
        "  bind interfaces only = yes",
        `  smb ports = ${port}`,
        "  disable netbios = yes",
        "  server min protocol = SMB2_02",
        "  ntlm auth = ntlmv2-only",
        "  load printers = no",
        "  printing = bsd",
        "  printcap name = /dev/null",
        "  disable spoolss = yes",
        "  usershare max shares = 0",
        ...extra.map((l) => `  ${l}`),
        "[share]",
        `  path = ${shares.share}`,
        "  read only = no",
        `  valid users = ${user.name}`,
        "[encrypted]",
        `  path = ${shares.encrypted}`,
        "  read only = no",
        `  valid users = ${user.name}`,
        "  smb encrypt = required",
        "",
      ].join("\n"),
    );
    await run("smbpasswd", ["-c", conf, "-s", "-a", user.name], {
      stdin: `${user.password}\n${user.password}\n`,
    });
    const server = await spawnServer(`smbd (${instance})`, {
      cmd: "/usr/sbin/smbd",
      args: ["--foreground", "--no-process-group", "--debug-stdout", "-s", conf],
      log: join(d, "log", "smbd.log"),
    }, { persistent: ctx.persistent });
    await waitReady(server, () => tcpReady(port));
    return { port, server };
  });
}

export async function startSamba(ctx: StartContext): Promise<Started<SmbInfo>> {
  const user = ctx.users[SMB_USER];
  const share = join(ctx.scratch, "smb-share");
  const encrypted = join(ctx.scratch, "smb-encrypted");
  for (const p of [share, encrypted]) {
    await Deno.mkdir(p, { recursive: true });
    await Deno.chown(p, user.uid, user.gid);
  }
  const [main, signing] = await Promise.all([
    _smbd(ctx, "main", { share, encrypted }, []),
    _smbd(ctx, "signing", { share, encrypted }, ["server signing = mandatory"]),
  ]);
  const info: SmbInfo = {
    host: "127.0.0.1",
    port: main.port,
    user: user.name,
    password: user.password,
    domain: "WORKGROUP",
    share: "share",
    sharePath: share,
    encryptedShare: "encrypted",
    encryptedSharePath: encrypted,
    signingPort: signing.port,
    uid: user.uid,
    gid: user.gid,
  };
  return { info, servers: [main.server, signing.server] };
}
