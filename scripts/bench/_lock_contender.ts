// One of the 8 contending processes of the L8 bench (state_backends.ts): acquire and release one key as often as
// it can between two instants; prints how many times it held it.
import { openStateBackend } from "../../engine/state/mod.ts";
const [kind, where, from, until] = Deno.args;
const target = kind === "sqlite"
  ? { kind: "sqlite" as const, path: where! }
  : { kind: "postgres" as const, url: where!, schema: "public" };
const s = await openStateBackend(target, { lockRetryMs: 5 });
await new Promise((r) => setTimeout(r, Math.max(0, Number(from) - Date.now())));
let n = 0;
while (Date.now() < Number(until)) {
  if (await s.acquireLock("hot", { owner: "o" + Deno.pid, ttlSeconds: 30, waitSeconds: 0 })) {
    n++;
    await s.releaseLock("hot", "o" + Deno.pid);
  }
}
await s.close();
console.log(n);
