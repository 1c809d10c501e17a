// .test-services/env.json: where `deno task services start` leaves the coordinates for later test runs.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { processStartTime } from "./_process.ts";
import { SERVICES_ENV_FILE, type ServicesEnv } from "./env.ts";

export const SERVICES_FILE: string = join(
  fileURLToPath(new URL("../../", import.meta.url)),
  SERVICES_ENV_FILE,
);

export async function readServicesFile(): Promise<ServicesEnv | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(SERVICES_FILE)) as ServicesEnv;
  } catch {
    return undefined;
  }
}

export function readServicesFileSync(): ServicesEnv | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(SERVICES_FILE)) as ServicesEnv;
  } catch {
    return undefined;
  }
}

/** Every recorded server process still runs (same pid and start time). */
export async function servicesAlive(env: ServicesEnv): Promise<boolean> {
  for (const p of env.processes) if (await processStartTime(p.pid) !== p.startTime) return false;
  return true;
}

export async function writeServicesFile(env: ServicesEnv): Promise<void> {
  await Deno.mkdir(dirname(SERVICES_FILE), { recursive: true });
  await Deno.writeTextFile(SERVICES_FILE, JSON.stringify(env, null, 2) + "\n", { mode: 0o600 });
}

export async function removeServicesFile(): Promise<void> {
  await Deno.remove(SERVICES_FILE).catch(() => {});
}
