// Start and stop the real servers the tests use (PostgreSQL, MariaDB, sshd for SFTP, Samba) on 127.0.0.1
// with free ports, in a scratch dir under /var/lib/aetherflow-test. See docs/testing.md.
import { join } from "node:path";
import type { StartContext, Started } from "./_context.ts";
import { type ProcessRef, processStartTime, spawnedServers, stopProcess } from "./_process.ts";
import { SERVICE_NAMES, type ServiceName, type ServicesEnv } from "./env.ts";
import { ensurePackages } from "./packages.ts";
import { startMariadb } from "./mariadb.ts";
import { startPostgres } from "./postgres.ts";
import { SMB_USER, startSamba } from "./samba.ts";
import { SFTP_KEY_USER, SFTP_PASSWORD_USER, startSshd } from "./sshd.ts";
import { ensureUsers, SERVICES_BASE } from "./_users.ts";

const NEEDS: Record<ServiceName, { packages: string[]; users: string[] }> = {
  postgres: { packages: ["postgresql"], users: [] },
  mariadb: { packages: ["mariadb-server"], users: [] },
  sftp: { packages: ["openssh-server"], users: [SFTP_PASSWORD_USER, SFTP_KEY_USER] },
  smb: { packages: ["samba", "smbclient"], users: [SMB_USER] },
};

const STARTERS: Record<ServiceName, (ctx: StartContext) => Promise<Started<unknown>>> = {
  postgres: startPostgres,
  mariadb: startMariadb,
  sftp: startSshd,
  smb: startSamba,
};

export interface StartOptions {
  /** Servers outlive this process (`services start`); otherwise they die with it at the latest. */
  persistent: boolean;
  log: (line: string) => void;
}

/** Install missing packages (root), start every service it can, and say why the others are missing.
 * Never throws for a service that fails: it is listed in `missing` with `fail: true`. */
export async function startServices(options: StartOptions): Promise<ServicesEnv> {
  const env: ServicesEnv = { scratch: "", persistent: options.persistent, processes: [], missing: {} };
  if (Deno.uid() !== 0) {
    for (const name of SERVICE_NAMES) {
      env.missing[name] = {
        reason: "the test harness runs as non-root (root starts sshd, Samba, …)",
        fail: false,
      };
    }
    return env;
  }
  await sweepStaleRuns(options.log);
  const packages = await ensurePackages(options.log);
  if (packages.installed.length) {
    options.log(`installed ${packages.installed.join(" ")} in ${(packages.ms / 1000).toFixed(1)} s`);
  }
  const wanted = SERVICE_NAMES.filter((name) => {
    const absent = NEEDS[name].packages.filter((p) => packages.missing.includes(p));
    if (absent.length === 0) return true;
    env.missing[name] = {
      reason: `Debian package ${absent.join(", ")} missing: ${packages.reason}`,
      fail: false,
    };
    return false;
  });
  if (wanted.length === 0) return env;

  await Deno.mkdir(SERVICES_BASE, { recursive: true, mode: 0o755 });
  env.scratch = await Deno.makeTempDir({
    dir: SERVICES_BASE,
    prefix: options.persistent ? "services-" : "test-",
  });
  await Deno.chmod(env.scratch, 0o755); // server users traverse it
  if (!options.persistent) {
    const owner = { pid: Deno.pid, startTime: await processStartTime(Deno.pid) };
    await Deno.writeTextFile(join(env.scratch, "owner.json"), JSON.stringify(owner));
  }
  let users;
  try {
    users = await ensureUsers(wanted.flatMap((n) => NEEDS[n].users));
  } catch (e) {
    for (const name of wanted) {
      env.missing[name] = { reason: `setup failed: ${(e as Error).message}`, fail: true };
    }
    return env;
  }
  const ctx: StartContext = { scratch: env.scratch, persistent: options.persistent, users };
  const timings: string[] = [];
  const results = await Promise.allSettled(wanted.map(async (name) => {
    const t0 = Date.now();
    const started = await STARTERS[name](ctx);
    timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return started;
  }));
  if (Deno.env.get("AF_TEST_SERVICES_VERBOSE")) options.log(`start times: ${timings.join(", ")}`);
  results.forEach((r, i) => {
    const name = wanted[i];
    if (r.status === "fulfilled") (env as unknown as Record<string, unknown>)[name] = r.value.info;
    else env.missing[name] = { reason: `failed to start: ${(r.reason as Error).message}`, fail: true };
  });
  env.processes = spawnedServers().map((s) => ({ service: s.name, pid: s.pid, startTime: s.startTime }));
  await Deno.writeTextFile(join(env.scratch, "env.json"), JSON.stringify(env, null, 2) + "\n");
  return env;
}

/** Stop every process of `env` (in parallel) and remove its scratch dir. */
export async function stopServices(env: ServicesEnv): Promise<void> {
  // PostgreSQL: SIGINT is "fast" shutdown (SIGTERM would wait for clients to disconnect).
  const signal = (p: ProcessRef): Deno.Signal => p.service === "postgres" ? "SIGINT" : "SIGTERM";
  const results = await Promise.allSettled(env.processes.map((p) => stopProcess(p, signal(p))));
  const failed = results.filter((r) => r.status === "rejected");
  if (env.scratch) await Deno.remove(env.scratch, { recursive: true }).catch(() => {});
  if (failed.length) {
    throw new Error(failed.map((r) => String((r as PromiseRejectedResult).reason)).join("\n"));
  }
}

/** Runs of a harness that died without cleaning up (SIGKILL, power loss): stop their servers, drop the dir. */
async function sweepStaleRuns(log: (line: string) => void): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(SERVICES_BASE)];
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(SERVICES_BASE, e.name);
    if (e.isDirectory && e.name.startsWith("services-")) {
      // `services start` dirs whose servers all died (a reboot) and were never stopped.
      const env = JSON.parse(await Deno.readTextFile(join(dir, "env.json")).catch(() => "null")) as
        | ServicesEnv
        | null;
      const alive = env
        ? await Promise.all(env.processes.map(async (p) => await processStartTime(p.pid) === p.startTime))
        : [];
      if (env && !alive.includes(true)) await Deno.remove(dir, { recursive: true }).catch(() => {});
      continue;
    }
    if (!e.isDirectory || !e.name.startsWith("test-")) continue;
    const owner = JSON.parse(await Deno.readTextFile(join(dir, "owner.json")).catch(() => "null"));
    if (owner && await processStartTime(owner.pid) === owner.startTime) continue; // its harness still runs
    const stat = await Deno.stat(dir).catch(() => undefined);
    if (!owner && stat?.mtime && Date.now() - stat.mtime.getTime() < 600_000) continue; // being set up
    const env = JSON.parse(await Deno.readTextFile(join(dir, "env.json")).catch(() => "null")) as
      | ServicesEnv
      | null;
    log(`removing stale test services of a dead harness: ${dir}`);
    await stopServices(env ?? { scratch: dir, persistent: false, processes: [], missing: {} }).catch(
      () => {},
    );
  }
}
