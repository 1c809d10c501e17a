// Initialised data directories kept once per machine and copied per run: `mariadb-install-db` and `initdb`
// cost 5–12 s of CPU on a loaded 2-core machine, a copy well under 2 s. A template is keyed by the server
// binary (size + mtime: a package upgrade makes a new one) and a recipe version; parallel harnesses build it
// under a lock, into a temp dir renamed into place, so a half-built template is never used.
import { join } from "node:path";
import { run } from "./_process.ts";
import { SERVICES_BASE } from "./_users.ts";

const TEMPLATES = join(SERVICES_BASE, "templates");

/** Copy the template `name` (built by `build(dir)` when absent or stale) to `target` (must not exist). */
export async function copyFromTemplate(
  name: string,
  options: { binary: string; recipe: number; target: string; build: (dir: string) => Promise<void> },
): Promise<void> {
  const stat = await Deno.stat(options.binary);
  const key = `${name}-r${options.recipe}-${stat.size}-${stat.mtime?.getTime() ?? 0}`;
  const dir = join(TEMPLATES, key);
  await Deno.mkdir(TEMPLATES, { recursive: true, mode: 0o755 });
  if (!await _exists(dir)) {
    const lock = await Deno.open(join(TEMPLATES, `.${name}.lock`), { create: true, write: true });
    try {
      await lock.lock(true);
      if (!await _exists(dir)) {
        const tmp = await Deno.makeTempDir({ dir: TEMPLATES, prefix: `.tmp-${name}-` });
        await Deno.chmod(tmp, 0o755);
        try {
          await options.build(tmp);
          await Deno.rename(tmp, dir);
        } finally {
          await Deno.remove(tmp, { recursive: true }).catch(() => {});
        }
        for await (const e of Deno.readDir(TEMPLATES)) { // templates of older binaries or recipes
          if (e.name.startsWith(`${name}-`) && e.name !== key) {
            await Deno.remove(join(TEMPLATES, e.name), { recursive: true }).catch(() => {});
          }
        }
      }
    } finally {
      lock.close();
    }
  }
  await run("cp", ["-a", "--reflink=auto", dir, options.target]);
}

async function _exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
