// Clocks for the scheduler loop. `_scaledClock` is a hidden test/demo mode: AETHERFLOW_SCHEDULER_TIME_SCALE=N makes
// scheduler time run N times faster than real time (a `* * * * *` item fires every 1/N minute), optionally
// starting at AETHERFLOW_SCHEDULER_START (ISO time). Only the firing clock is scaled; drain grace stays real.
import { abortableSleep } from "../../clock.ts";
import type { Clock } from "../loop.ts";

export const TIME_SCALE_ENV = "AETHERFLOW_SCHEDULER_TIME_SCALE";
export const START_ENV = "AETHERFLOW_SCHEDULER_START";
/** The real time (epoch ms) at which the scaled clock reads START: several processes then share one clock. */
export const T0_ENV = "AETHERFLOW_SCHEDULER_T0";

/** Sleep `ms` real milliseconds; resolves early when `signal` aborts (the engine's abortable sleep). */
export const realSleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep;

function _systemClock(): Clock {
  return { now: () => Date.now(), sleep: realSleep };
}

function _scaledClock(scale: number, start?: number, realT0?: number): Clock {
  const t0 = realT0 ?? Date.now();
  const base = start ?? t0;
  return {
    now: () => base + (Date.now() - t0) * scale,
    sleep: (ms, signal) => realSleep(ms / scale, signal),
  };
}

/** The clock selected by the environment (system clock unless the hidden scale variable is set). */
export function clockFromEnv(env: { get(key: string): string | undefined }): Clock {
  const scale = Number(env.get(TIME_SCALE_ENV) ?? "");
  if (!Number.isFinite(scale) || scale <= 0 || scale === 1) return _systemClock();
  const startText = env.get(START_ENV);
  const start = startText ? Date.parse(startText) : NaN;
  const t0 = Number(env.get(T0_ENV) ?? "");
  return _scaledClock(
    scale,
    Number.isNaN(start) ? undefined : start,
    Number.isSafeInteger(t0) && t0 > 0 ? t0 : undefined,
  );
}
