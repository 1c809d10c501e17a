/**
 * `schedule fire`, the guard that generated systemd services run (docs/scheduling.md "systemd timers") [D13]:
 * the same misfire and overlap semantics as the in-process loop. It takes the latest scheduled slot <= now;
 * when the item's lock file is held (a previous run still going) or `now - slot > grace`, nothing runs;
 * otherwise it runs the child with run id `<item>-<slot UTC>` and exits with its code.
 *
 * Started by its timer, a skip is a documented success (exit 0, warning logged). Started by hand
 * (`systemctl start`, no `TRIGGER_UNIT` from systemd), a skip is reported as such: an ERROR line saying why and
 * how to run the item now, and exit `EXIT_NOT_RUN` (75), so the unit shows as failed instead of a silent no-op.
 * `schedule fire --now` runs at once with a manual run id `<item>-manual-<UTC time>`.
 * @module
 */
import { EXIT } from "../errors.ts";
import type { CronSpec } from "./cron.ts";
import { prevFire } from "./next_fire.ts";
import { runIdFor } from "./run_args.ts";
import { unitBaseName } from "./units.ts";

/** Exit status of a start that ran nothing although someone asked for it (sysexits EX_TEMPFAIL). */
export const EXIT_NOT_RUN: number = EXIT.NOT_RUN;

export type GuardDecision =
  | { readonly kind: "fire"; readonly slot: number; readonly runId: string }
  | { readonly kind: "missed"; readonly slot: number; readonly lateMs: number }
  | { readonly kind: "none" };

/** How the unit was started: by its timer (`TRIGGER_UNIT` set) or by hand. */
export type FireTrigger = "timer" | "manual";

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

/** `<item>-manual-<YYYYMMDDTHHMMSSZ>`: never equal to a slot's run id, so a manual run never resumes one. */
export function manualRunId(itemId: string, now: number): string {
  const iso = new Date(now).toISOString();
  return `${itemId}-manual-${iso.slice(0, 19).replaceAll("-", "").replaceAll(":", "")}Z`;
}

export interface GuardEffects {
  now(): number;
  /** Try to take the item's lock; null when another run holds it. */
  tryLock(itemId: string): Promise<{ release(): void } | null>;
  /** Run argv with inherited stdio; resolves with the exit code. */
  run(argv: readonly string[]): Promise<number>;
  message(level: "INFO" | "WARNING" | "ERROR", text: string): void;
}

export interface GuardOptions {
  readonly itemId: string;
  readonly spec: CronSpec;
  readonly tz: string;
  readonly graceS: number;
  /** `run …` argv (the self command included), without `--run-id`. */
  readonly command: readonly string[];
  /** Default `timer` (the loop's semantics). */
  readonly trigger?: FireTrigger;
}

/** Run the guard; returns the exit code for the unit (0 for a documented skip). */
export async function runFireGuard(options: GuardOptions, fx: GuardEffects): Promise<number> {
  const manual = options.trigger === "manual";
  const d = decideGuard({ ...options, now: fx.now() });
  if (d.kind === "none") {
    fx.message("WARNING", `Item ${options.itemId} has no scheduled time before now; nothing to run`);
    return manual ? EXIT_NOT_RUN : 0;
  }
  if (d.kind === "missed") {
    const late = Number((d.lateMs / 1000).toFixed(3));
    if (!manual) {
      fx.message("WARNING", `Run time of item ${options.itemId} was missed by ${late}s`);
      return 0;
    }
    fx.message(
      "ERROR",
      `Manual start of item ${options.itemId} ran nothing: its latest scheduled time ` +
        `${new Date(d.slot).toISOString()} is ${late}s ago, outside its grace of ${options.graceS}s. ` +
        `To run it now: systemctl start ${unitBaseName(options.itemId)}-now.service ` +
        `(or aetherflow schedule fire --now ${options.itemId} -- run …)`,
    );
    return EXIT_NOT_RUN;
  }
  const lock = await fx.tryLock(options.itemId);
  if (!lock) {
    fx.message(
      manual ? "ERROR" : "WARNING",
      `Execution of item ${options.itemId} skipped: maximum number of running instances reached (1)`,
    );
    return manual ? EXIT_NOT_RUN : 0;
  }
  return await _runLocked(options.itemId, d.runId, options.command, lock, fx);
}

/** `schedule fire --now`: run the item at once with a manual run id, unless a run of it is going on. */
export async function runNow(
  options: { readonly itemId: string; readonly command: readonly string[] },
  fx: GuardEffects,
): Promise<number> {
  const lock = await fx.tryLock(options.itemId);
  if (!lock) {
    fx.message(
      "ERROR",
      `Item ${options.itemId} not started: a run of it is still going on (maximum number of running instances ` +
        "reached (1))",
    );
    return EXIT_NOT_RUN;
  }
  const runId = manualRunId(options.itemId, fx.now());
  fx.message("INFO", `Manual run ${runId} of item ${options.itemId} starting`);
  return await _runLocked(options.itemId, runId, options.command, lock, fx);
}

async function _runLocked(
  itemId: string,
  runId: string,
  command: readonly string[],
  lock: { release(): void },
  fx: GuardEffects,
): Promise<number> {
  try {
    const rc = await fx.run([...command, "--run-id", runId]);
    fx.message(rc === 0 ? "INFO" : "ERROR", `Run ${runId} of item ${itemId} finished rc=${rc}`);
    return rc;
  } finally {
    lock.release();
  }
}
