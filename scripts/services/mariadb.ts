// MariaDB from the Debian package: mariadb-install-db into the scratch dir, then `mariadbd` in the foreground
// on 127.0.0.1:<free port> (it drops to the mysql user itself); `--no-defaults` keeps /etc/mysql out.
import { join } from "node:path";
import type { MariadbInfo } from "./env.ts";
import type { StartContext, Started } from "./_context.ts";
import { run, ServiceStartError, spawnServer, waitReady, withFreePort } from "./_process.ts";
import { copyFromTemplate } from "./_template.ts";

// The default 96 MB redo log would make every per-run copy of the data dir 113 MB.
const LOG_FILE_SIZE = "8M";

export async function startMariadb(ctx: StartContext): Promise<Started<MariadbInfo>> {
  const dir = join(ctx.scratch, "mariadb");
  const data = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  await Deno.mkdir(dir, { recursive: true });
  await run("chown", ["mysql:mysql", dir]);
  try {
    await copyFromTemplate("mariadb", {
      binary: "/usr/sbin/mariadbd",
      recipe: 1,
      target: data,
      build: _installDb,
    });
  } catch (e) {
    throw new ServiceStartError("mariadb", "mariadb-install-db failed", { cause: e });
  }
  const password = `my-${crypto.randomUUID().slice(0, 13)}`;
  return await withFreePort(async (port) => {
    const server = await spawnServer("mariadb", {
      cmd: "/usr/sbin/mariadbd",
      args: [
        "--no-defaults",
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        "--user=mysql",
        `--pid-file=${join(dir, "mariadbd.pid")}`,
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M",
        "--innodb-flush-log-at-trx-commit=0",
        `--innodb-log-file-size=${LOG_FILE_SIZE}`,
        "--innodb-doublewrite=0",
        "--innodb-fast-shutdown=2", // throwaway data: skip the flush on shutdown
        "--max-connections=300",
      ],
      log: join(dir, "server.log"),
    }, { persistent: ctx.persistent });
    const admin = ["--no-defaults", "-S", socket, "-u", "root"];
    await waitReady(
      server,
      async () => (await run("mariadb-admin", [...admin, "ping"], { okCodes: [0, 1] })).code === 0,
    );
    await run("mariadb", [
      ...admin,
      "-e",
      [
        "CREATE DATABASE app;",
        `CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '${password}';`,
        "GRANT ALL ON *.* TO 'app'@'127.0.0.1' WITH GRANT OPTION;",
      ].join(" "),
    ]);
    const info: MariadbInfo = {
      host: "127.0.0.1",
      port,
      user: "app",
      password,
      database: "app",
      url: `mysql://app:${password}@127.0.0.1:${port}/app`,
      socket,
    };
    return { info, servers: [server] };
  });
}

async function _installDb(dir: string): Promise<void> {
  await run("chown", ["mysql:mysql", dir]);
  await run("mariadb-install-db", [
    "--no-defaults",
    `--datadir=${dir}`,
    "--user=mysql",
    "--skip-test-db",
    "--auth-root-authentication-method=socket",
    `--innodb-log-file-size=${LOG_FILE_SIZE}`,
  ]);
}
