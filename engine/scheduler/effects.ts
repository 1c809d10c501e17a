/**
 * The real effects of the scheduler (system or hidden fast clock, child processes in their own process group,
 * per-item lock files, self re-invocation facts), for the CLI to wire. Everything else in this folder is pure
 * or takes these as injected dependencies.
 * @module
 */
export { clockFromEnv, realSleep, START_ENV, TIME_SCALE_ENV } from "./_runtime/clock.ts";
export { spawnChild } from "./_runtime/spawn.ts";
export { defaultLockDir, LockDirError, tryItemLock } from "./_runtime/lock_file.ts";
export { currentSelfInfo } from "./_runtime/self_info.ts";
