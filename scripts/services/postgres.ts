// PostgreSQL from the Debian package: initdb into the scratch dir, then `postgres` in the foreground as the
// postgres user on 127.0.0.1:<free port>, durability off (test data is throwaway).
import { join } from "node:path";
import type { PostgresInfo } from "./env.ts";
import type { StartContext, Started } from "./_context.ts";
import { run, ServiceStartError, spawnServer, waitReady, withFreePort } from "./_process.ts";
import { copyFromTemplate } from "./_template.ts";

/** Newest installed server version's bin dir (postgresql-15 on Debian 12). */
export function postgresBinDir(): string | undefined {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
    const v = versions.at(-1);
    return v ? `/usr/lib/postgresql/${v}/bin` : undefined;
  } catch {
    return undefined;
  }
}

export async function startPostgres(ctx: StartContext): Promise<Started<PostgresInfo>> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new ServiceStartError("postgres", "no /usr/lib/postgresql/<version>/bin (package postgresql)");
  }
  const dir = join(ctx.scratch, "postgres");
  const data = join(dir, "data");
  const socketDir = join(dir, "sock");
  await Deno.mkdir(socketDir, { recursive: true });
  await run("chown", ["-R", "postgres:postgres", dir]);
  try {
    await copyFromTemplate("postgres", {
      binary: join(bin, "postgres"),
      recipe: 1,
      target: data,
      build: _initdb(bin),
    });
  } catch (e) {
    throw new ServiceStartError("postgres", "initdb failed", { cause: e });
  }
  const password = `pg-${crypto.randomUUID().slice(0, 13)}`;
  return await withFreePort(async (port) => {
    const server = await spawnServer("postgres", {
      cmd: join(bin, "postgres"),
      args: [
        "-D",
        data,
        "-c",
        "listen_addresses=127.0.0.1",
        "-p",
        String(port),
        "-k",
        socketDir,
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
      ],
      log: join(dir, "server.log"),
    }, { user: "postgres", persistent: ctx.persistent });
    const isReady = join(bin, "pg_isready");
    await waitReady(server, async () => {
      const r = await run(isReady, ["-q", "-h", socketDir, "-p", String(port), "-U", "postgres"], {
        okCodes: [0, 1, 2],
      });
      return r.code === 0;
    });
    await run(join(bin, "psql"), [
      "-h",
      socketDir,
      "-p",
      String(port),
      "-U",
      "postgres",
      "-qAt",
      "-c",
      `ALTER USER postgres PASSWORD '${password}'`,
      "-c",
      "CREATE DATABASE app",
    ], { user: "postgres" });
    const info: PostgresInfo = {
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "app",
      url: `postgres://postgres:${password}@127.0.0.1:${port}/app`,
      socketDir,
    };
    return { info, servers: [server] };
  });
}

/** initdb into `dir`; the template's password is replaced per run (`ALTER USER`). */
function _initdb(bin: string): (dir: string) => Promise<void> {
  return async (dir) => {
    const pwfile = `${dir}.pwfile`;
    await Deno.writeTextFile(pwfile, "template\n");
    await run("chown", ["postgres:postgres", dir, pwfile]);
    try {
      await run(join(bin, "initdb"), [
        "-D",
        dir,
        "-U",
        "postgres",
        `--pwfile=${pwfile}`,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
      ], { user: "postgres" });
    } finally {
      await Deno.remove(pwfile).catch(() => {});
    }
  };
}
