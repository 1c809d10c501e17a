/**
 * What to do when an item comes due (B.5) [D13]. Pure: the clock, the running set and the global cap are inputs,
 * so overlap, coalescing and misfires are tested with a fake clock.
 *
 * - coalesce: every due slot found on wake collapses into the latest one (`prevFire(now)`);
 * - misfire: `now - slot > misfire_grace_time` -> skipped with "missed by";
 * - overlap: the item's previous child still runs -> skipped (max_instances = 1), never queued;
 * - global cap: the fire waits for a free slot and its misfire is re-checked when it actually starts.
 * @module
 */
import { nextFire, prevFire } from "./next_fire.ts";
import type { ScheduleItem } from "./parse_scheduler_yaml.ts";

export type DueDecision =
  | { readonly kind: "fire"; readonly slot: number }
  | { readonly kind: "missed"; readonly slot: number; readonly lateMs: number }
  | { readonly kind: "overlap"; readonly slot: number }
  | { readonly kind: "wait"; readonly slot: number };

export interface DueInput {
  readonly item: ScheduleItem;
  readonly tz: string;
  /** The item's next fire time as computed at the previous wake. */
  readonly next: number;
  readonly now: number;
  readonly running: boolean;
  readonly capReached: boolean;
}

export interface DueResult {
  /** Null when the item is not due yet. */
  readonly decision: DueDecision | null;
  /** Due slots dropped by coalescing (earlier than `decision.slot`). */
  readonly coalesced: number;
  /** The item's next fire time after this wake (null: never again). */
  readonly next: number | null;
}

/** Decide one item at one wake. */
export function decideDue(input: DueInput): DueResult {
  const { item, tz, next, now } = input;
  if (now < next) return { decision: null, coalesced: 0, next };
  const slot = prevFire(item.spec, tz, now) ?? next;
  const following = nextFire(item.spec, tz, now);
  const coalesced = _countBetween(input, next, slot);
  const lateMs = now - slot;
  if (lateMs > item.misfireGraceTime * 1000) {
    return { decision: { kind: "missed", slot, lateMs }, coalesced, next: following };
  }
  if (input.running) return { decision: { kind: "overlap", slot }, coalesced, next: following };
  if (input.capReached) return { decision: { kind: "wait", slot }, coalesced, next: following };
  return { decision: { kind: "fire", slot }, coalesced, next: following };
}

/** A waiting fire about to start: re-check its misfire now (B.5). */
export function recheckWaiting(item: ScheduleItem, slot: number, now: number): DueDecision {
  const lateMs = now - slot;
  return lateMs > item.misfireGraceTime * 1000 ? { kind: "missed", slot, lateMs } : { kind: "fire", slot };
}

/** Slots in [from, to) — bounded so a long suspend with a per-minute cron stays cheap. */
function _countBetween(input: DueInput, from: number, to: number): number {
  let n = 0;
  let t: number | null = from;
  while (t !== null && t < to && n < 10_000) {
    n++;
    t = nextFire(input.item.spec, input.tz, t);
  }
  return n;
}
