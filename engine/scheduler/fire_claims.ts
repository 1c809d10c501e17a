// Fire claims of `schedule run` on several hosts (docs/fleet.md "Exactly once"): the scheduler loop asks the
// shared state backend for `<item>-<slot>` before it starts a run, keeps the claim fresh while the run goes on,
// records the exit code, and takes over a claim whose scheduler died (its run is then resumed by run id).
import type { StateBackend } from "../state/mod.ts";

/** What the loop needs of a shared state (tests give an in-memory one). */
export interface FireClaims {
  /** How long a claim holds without renewal (seconds, the database's clock). */
  readonly ttlSeconds: number;
  /** `claimed`: start the run; `taken`: another scheduler fired this slot; `overlap`: an earlier one is open. */
  claim(
    itemId: string,
    slotMs: number,
    runId: string,
  ): Promise<{ kind: "claimed" | "taken" | "overlap"; host: string }>;
  renew(itemId: string, slotMs: number): Promise<boolean>;
  finish(itemId: string, slotMs: number, exitCode: number): Promise<void>;
  /** Give an unstarted claim back (expires now) so another scheduler takes it over. */
  release(itemId: string, slotMs: number): Promise<void>;
  /** The oldest abandoned claim of these items, now ours; null when there is none. */
  takeOver(itemIds: readonly string[]): Promise<{ itemId: string; slotMs: number; runId: string } | null>;
}

/** Fire claims kept in `backend`'s `schedule_fires` table. */
export function backendFireClaims(backend: StateBackend, ttlSeconds: number): FireClaims {
  return {
    ttlSeconds,
    async claim(itemId, slotMs, runId) {
      const res = await backend.claimFire({ itemId, slotMs, runId, ttlSeconds });
      return { kind: res.kind, host: res.fire.host };
    },
    async renew(itemId, slotMs) {
      return await backend.renewFire(itemId, slotMs, ttlSeconds);
    },
    async finish(itemId, slotMs, exitCode) {
      await backend.finishFire(itemId, slotMs, exitCode);
    },
    async release(itemId, slotMs) {
      await backend.releaseFire(itemId, slotMs);
    },
    async takeOver(itemIds) {
      const fire = await backend.takeOverFire({ itemIds, ttlSeconds });
      return fire === null ? null : { itemId: fire.itemId, slotMs: fire.slotMs, runId: fire.runId };
    },
  };
}
