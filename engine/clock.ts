/**
 * The one clock abstraction of the engine: wall time for records, monotonic time for durations and an abortable
 * sleep for waits (retries, backoff, polling). Steps and the runner receive a `Clock`; tests inject a fake one so
 * nothing waits for real time.
 * @module
 */

/** Time sources and waiting. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds (only differences matter). */
  monotonic(): number;
  /** Wait `ms` milliseconds; resolves early (never rejects) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Sleep `ms` real milliseconds; resolves at once when `signal` is already aborted and early when it aborts.
 * @example Usage
 * ```ts
 * import { abortableSleep } from "./clock.ts";
 * const controller = new AbortController();
 * controller.abort();
 * await abortableSleep(60_000, controller.signal); // returns immediately
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Wall clock, `performance.now()` and real sleeps. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: abortableSleep,
};
