// Lock contention worker (tests/lock_contention_test.ts): take the lock `iterations` times; inside it create
// a marker file holding this pid (exclusively, by hard link), hold briefly, remove it. A failed exclusive create while the marker's
// writer is alive means two holders at once (a marker left by a killed holder is removed: its lock expired).
// Args: STATE KEY MARKER ITERATIONS [TTL_SECONDS]; STATE is a SQLite path or a postgres:// URL; the host id comes
// from AETHERFLOW_HOST_ID. Exit 0 = ok (prints the count), 1 = overlap seen, 2 = lock never acquired.
import { openStateBackend, parseStateLocator } from "../../engine/state/mod.ts";

const [state, key, marker, iterations, ttl] = Deno.args as [string, string, string, string, string?];
const store = await openStateBackend(parseStateLocator(state, Deno.cwd()), { lockRetryMs: 2 });
const owner = `worker-${Deno.pid}`;

function _alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

let done = 0;
for (let i = 0; i < Number(iterations); i++) {
  if (!await store.acquireLock(key, { owner, ttlSeconds: Number(ttl ?? 600), waitSeconds: 120 })) {
    Deno.exit(2);
  }
  try {
    // The marker appears whole (pid inside) or not at all: written aside, then hard-linked (fails if it exists).
    const aside = `${marker}.${Deno.pid}`;
    await Deno.writeTextFile(aside, String(Deno.pid));
    for (let attempt = 0;; attempt++) {
      try {
        await Deno.link(aside, marker);
        break;
      } catch (err) {
        const holder = Number(await Deno.readTextFile(marker).catch(() => "0"));
        if (attempt === 0 && holder > 0 && !_alive(holder)) {
          await Deno.remove(marker).catch(() => {});
          continue;
        }
        console.log(`OVERLAP ${owner}: ${err} (marker of pid ${holder})`);
        Deno.exit(1);
      }
    }
    await Deno.remove(aside);
    await new Promise((r) => setTimeout(r, 3));
    await Deno.remove(marker);
    done++;
  } finally {
    await store.releaseLock(key, owner);
  }
}
await store.close();
console.log(`acquired ${done}`);
