// The run lease (docs/execution-model.md step 7, D13, D15): one invocation per run id at a time. A row `run:<run_id>` in
// the `locks` table, owner = run id, with host and pid, kept fresh by a timer while the run goes on.
import { unrefTimer } from "./_runtime.ts";
import type { LockHolder } from "./locks.ts";

/** Default lease length: a run killed on another host (no pid check possible) frees its run id after this. */
export const RUN_LEASE_TTL_SECONDS = 60;

/** What the lease needs of the store (both backends implement it). */
export interface RunLeaseStore {
  renewRunLease(runId: string, ttlSeconds: number): boolean | Promise<boolean>;
  releaseRunLease(runId: string): boolean | Promise<boolean>;
}

export interface RunLeaseOptions {
  /** Lease length in seconds; default 60 (setting `lease_seconds`). */
  ttlSeconds?: number;
  /** Renewal period; default a third of the TTL. 0 = no timer (the caller renews). */
  renewEveryMs?: number;
  /**
   * Called once when the lease is lost: a renewal found it held by someone else (it expired and was taken
   * over), or renewals kept failing (the state backend unreachable) for longer than the TTL.
   */
  onLost?: () => void;
  /** Called when a renewal fails on a state error (the next tick tries again). */
  onRenewError?: (err: unknown) => void;
}

/**
 * A held run lease. `release()` (or `dispose`) stops the renewal timer and deletes the row; idempotent, never
 * rejects. With the SQLite store every call completes synchronously, before the returned promise.
 */
export class RunLease {
  readonly runId: string;
  readonly ttlSeconds: number;
  readonly #store: RunLeaseStore;
  readonly #onLost?: () => void;
  readonly #onRenewError?: (err: unknown) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #released = false;
  #lost = false;
  #renewing = false;
  /** performance.now() of the last renewal that succeeded (or of the take). */
  #confirmedAt = performance.now();

  constructor(store: RunLeaseStore, runId: string, options: RunLeaseOptions = {}) {
    this.#store = store;
    this.runId = runId;
    this.ttlSeconds = options.ttlSeconds ?? RUN_LEASE_TTL_SECONDS;
    this.#onLost = options.onLost;
    this.#onRenewError = options.onRenewError;
    const every = options.renewEveryMs ?? Math.max(1000, (this.ttlSeconds * 1000) / 3);
    if (every > 0) {
      const timer = setInterval(() => this.#tick(), every);
      // A pending renewal never keeps the process alive; release() clears it on every exit path.
      unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Whether the lease was lost (taken over, or not renewable for longer than its TTL). */
  get lost(): boolean {
    return this.#lost;
  }

  /** Extend the lease to now + TTL; false when it is no longer ours (or already released). */
  async renew(): Promise<boolean> {
    if (this.#released) return false;
    const ok = await this.#store.renewRunLease(this.runId, this.ttlSeconds);
    if (ok) this.#confirmedAt = performance.now();
    else this.#markLost();
    return ok;
  }

  /** Stop renewing and delete the row if it is still ours. Never rejects (the lease then expires by TTL). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      await this.#store.releaseRunLease(this.runId);
    } catch {
      // Best effort: the row expires after the TTL.
    }
  }

  [Symbol.dispose](): void {
    void this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  #markLost(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#onLost?.();
  }

  async #tick(): Promise<void> {
    // A slow backend must not stack renewals: skip the tick while the previous one is in flight.
    if (this.#renewing || this.#released) return;
    this.#renewing = true;
    try {
      await this.renew();
    } catch (err) {
      this.#onRenewError?.(err);
      if (performance.now() - this.#confirmedAt > this.ttlSeconds * 1000) this.#markLost();
    } finally {
      this.#renewing = false;
    }
  }
}

/** The one-line refusal (exit 1): nothing of the run is touched. */
export function runBusyMessage(runId: string, holder: LockHolder | null): string {
  const host = holder?.host ?? "unknown";
  const pid = holder?.pid ?? "unknown";
  return `Run ${runId} is already running (host ${host}, pid ${pid}); wait for it or stop it first`;
}
