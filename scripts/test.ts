// `deno task test [deno test args…]`: install and start the real servers the tests need (PostgreSQL, MariaDB,
// sshd, Samba) on free loopback ports, run `deno test --allow-all --parallel …` with their coordinates in
// AF_TEST_SERVICES, stop every server (also on SIGINT/SIGTERM and failures), and exit with deno test's code.
// Reuses servers started by `deno task services start` when they are alive. See docs/testing.md.
import { readServicesFile, servicesAlive } from "./services/file.ts";
import { SERVICE_NAMES, SERVICES_ENV_VAR, type ServicesEnv } from "./services/env.ts";
import { startServices, stopServices } from "./services/mod.ts";

const log = (line: string) => console.error(`test services: ${line}`);

function describe(env: ServicesEnv): string {
  return SERVICE_NAMES.map((name) => {
    const info = env[name] as { port?: number } | undefined;
    return info ? `${name} :${info.port}` : `${name} —`;
  }).join(", ");
}

async function main(): Promise<number> {
  // Signals before the tests run (during installs and starts) end the run after cleaning up.
  let child: Deno.ChildProcess | undefined;
  let interrupted: Deno.Signal | undefined;
  const forward = (signal: Deno.Signal) => () => {
    interrupted ??= signal;
    try {
      child?.kill(signal);
    } catch { /* already exited */ }
  };
  const onInt = forward("SIGINT"), onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);

  let env: ServicesEnv = { scratch: "", persistent: false, processes: [], missing: {} };
  let owned = false;
  try {
    const reused = await readServicesFile();
    if (Deno.env.get("AF_TEST_SERVICES_OFF") === "1") {
      for (const n of SERVICE_NAMES) env.missing[n] = { reason: "AF_TEST_SERVICES_OFF=1", fail: false };
    } else if (reused && await servicesAlive(reused)) {
      env = reused;
      log(`using the servers of \`deno task services start\` (${describe(env)})`);
    } else {
      const t0 = Date.now();
      owned = true;
      env = await startServices({ persistent: false, log });
      log(`${describe(env)} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    for (const [name, m] of Object.entries(env.missing)) {
      log(`${name} unavailable, its tests ${m.fail ? "FAIL" : "are ignored"}: ${m.reason}`);
    }
    if (interrupted) return 128 + (interrupted === "SIGINT" ? 2 : 15);
    child = new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", "--parallel", ...Deno.args],
      env: { [SERVICES_ENV_VAR]: JSON.stringify(env) },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    return status.signal ? 128 + (status.signal === "SIGINT" ? 2 : 15) : status.code;
  } finally {
    if (owned) {
      await stopServices(env).catch((e) => log(`could not stop every server: ${(e as Error).message}`));
    }
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

if (import.meta.main) Deno.exit(await main());
