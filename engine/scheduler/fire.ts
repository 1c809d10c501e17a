/**
 * `schedule fire`, the guard that generated systemd services run (B.10) [D13]: the same misfire and overlap
 * semantics as the in-process loop. It takes the latest scheduled slot <= now; when `now - slot > grace` it logs
 * "missed by" and exits 0; when the item's lock file is held (a previous run still going) it logs the overlap
 * warning and exits 0; otherwise it runs the child with run id `<item>-<slot UTC>` and exits with its code.
 * @module
 */
import type { CronSpec } from "./cron.ts";
import { prevFire } from "./next_fire.ts";
import { runIdFor } from "./run_args.ts";

export type GuardDecision =
  | { readonly kind: "fire"; readonly slot: number; readonly runId: string }
  | { readonly kind: "missed"; readonly slot: number; readonly lateMs: number }
  | { readonly kind: "none" };

/** Pure part of the guard. */
export function decideGuard(
  options: { itemId: string; spec: CronSpec; tz: string; graceS: number; now: number },
): GuardDecision {
  const slot = prevFire(options.spec, options.tz, options.now);
  if (slot === null) return { kind: "none" };
  const lateMs = options.now - slot;
  if (lateMs > options.graceS * 1000) return { kind: "missed", slot, lateMs };
  return { kind: "fire", slot, runId: runIdFor(options.itemId, slot) };
}

export interface GuardEffects {
  now(): number;
  /** Try to take the item's lock; null when another run holds it. */
  tryLock(itemId: string): Promise<{ release(): void } | null>;
  /** Run argv with inherited stdio; resolves with the exit code. */
  run(argv: readonly string[]): Promise<number>;
  message(level: "INFO" | "WARNING" | "ERROR", text: string): void;
}

/** Run the guard; returns the exit code for the unit (0 for a documented skip). */
export async function runFireGuard(
  options: { itemId: string; spec: CronSpec; tz: string; graceS: number; command: readonly string[] },
  fx: GuardEffects,
): Promise<number> {
  const d = decideGuard({ ...options, now: fx.now() });
  if (d.kind === "none") {
    fx.message("WARNING", `Item ${options.itemId} has no scheduled time before now; nothing to run`);
    return 0;
  }
  if (d.kind === "missed") {
    fx.message(
      "WARNING",
      `Run time of item ${options.itemId} was missed by ${Number((d.lateMs / 1000).toFixed(3))}s`,
    );
    return 0;
  }
  const lock = await fx.tryLock(options.itemId);
  if (!lock) {
    fx.message(
      "WARNING",
      `Execution of item ${options.itemId} skipped: maximum number of running instances reached (1)`,
    );
    return 0;
  }
  try {
    const rc = await fx.run([...options.command, "--run-id", d.runId]);
    fx.message(rc === 0 ? "INFO" : "ERROR", `Run ${d.runId} of item ${options.itemId} finished rc=${rc}`);
    return rc;
  } finally {
    lock.release();
  }
}
