// `deno task services start|stop|env|status`: keep the test servers up while iterating. `start` writes
// .test-services/env.json, which `deno task test` and plain `deno test` (tests/_services.ts) pick up.
import {
  readServicesFile,
  removeServicesFile,
  SERVICES_FILE,
  servicesAlive,
  writeServicesFile,
} from "./services/file.ts";
import { SERVICE_NAMES } from "./services/env.ts";
import { startServices, stopServices } from "./services/mod.ts";

const log = (line: string) => console.error(`services: ${line}`);

async function start(): Promise<number> {
  const current = await readServicesFile();
  if (current && await servicesAlive(current)) {
    log(`already running (${SERVICES_FILE}); \`deno task services stop\` first to restart`);
    return 0;
  }
  if (current) await stopServices(current).catch(() => {});
  const t0 = Date.now();
  const env = await startServices({ persistent: true, log });
  await writeServicesFile(env);
  for (const name of SERVICE_NAMES) {
    const info = env[name] as { port?: number } | undefined;
    if (info) log(`${name} on 127.0.0.1:${info.port}`);
    else log(`${name} unavailable: ${env.missing[name]?.reason}`);
  }
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; coordinates in ${SERVICES_FILE}`);
  return Object.values(env.missing).some((m) => m.fail) ? 1 : 0;
}

async function stop(): Promise<number> {
  const env = await readServicesFile();
  if (!env) {
    log("not running");
    return 0;
  }
  await stopServices(env);
  await removeServicesFile();
  log("stopped");
  return 0;
}

async function show(): Promise<number> {
  const env = await readServicesFile();
  if (!env) {
    log("not running: `deno task services start`");
    return 1;
  }
  console.log(JSON.stringify(env, null, 2));
  if (!await servicesAlive(env)) {
    log("some servers are gone: `deno task services stop && deno task services start`");
    return 1;
  }
  return 0;
}

const commands: Record<string, () => Promise<number>> = { start, stop, env: show, status: show };
const command = commands[Deno.args[0] ?? ""];
if (!command) {
  console.error("usage: deno task services start|stop|env");
  Deno.exit(2);
}
Deno.exit(await command());
