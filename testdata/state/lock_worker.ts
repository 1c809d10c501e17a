// Lock contention worker (tests/lock_contention_test.ts): take the lock `iterations` times; inside it create
// an O_EXCL marker file, hold briefly, remove it. A failed exclusive create means two holders at once.
// Args: DB KEY MARKER ITERATIONS. Exit 0 = ok (prints the count), 1 = overlap seen, 2 = lock never acquired.
import { StateStore } from "../../engine/state/mod.ts";

const [db, key, marker, iterations] = Deno.args as [string, string, string, string];
const store = StateStore.open(db, { lockRetryMs: 2 });
const owner = `worker-${Deno.pid}`;
let done = 0;
for (let i = 0; i < Number(iterations); i++) {
  if (!await store.acquireLock(key, { owner, ttlSeconds: 600, waitSeconds: 120 })) Deno.exit(2);
  try {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(marker, { createNew: true, write: true });
    } catch (err) {
      console.log(`OVERLAP ${owner}: ${err}`);
      Deno.exit(1);
    }
    await new Promise((r) => setTimeout(r, 3));
    file.close();
    await Deno.remove(marker);
    done++;
  } finally {
    store.releaseLock(key, owner);
  }
}
store.close();
console.log(`acquired ${done}`);
