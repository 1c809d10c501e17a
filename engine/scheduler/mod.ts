/**
 * Cron scheduler and systemd unit generation (bundles-scheduler.md part B) [D13].
 * @module
 */
export { CronError, cronNeverFires, numericDowWarnings, parseCron } from "./cron.ts";
export type { CronField, CronSpec, CronTerm, FieldName } from "./cron.ts";
export { matchesDay, nextFire, nextFires, prevFire } from "./next_fire.ts";
export { cronToOnCalendar, OnCalendarError } from "./oncalendar.ts";
export { DEFAULT_MISFIRE_GRACE_S, DEFAULT_TIMEZONE, parseSchedulerYaml, unsafeItemId } from "./schema.ts";
export type { ScheduleItem, SchedulerConfig, SchedulerReport } from "./schema.ts";
export { renderUnits, unitBaseName, UnitRenderError } from "./units.ts";
export type { UnitOptions, UnitPair } from "./units.ts";
export { runArgs, runIdFor } from "./run_args.ts";
export { decideDue, recheckWaiting } from "./decide.ts";
export type { DueDecision, DueInput, DueResult } from "./decide.ts";
export { parseRunStartState, Scheduler, SCHEDULER_LOGGER } from "./loop.ts";
export type { ChildHandle, Clock, SchedulerLog, SchedulerOptions, SpawnRequest } from "./loop.ts";
export { permissionFlags, SELF_CMD_ENV, selfCommand } from "./self_command.ts";
export type { SelfInfo } from "./self_command.ts";
export { decideGuard, runFireGuard } from "./fire.ts";
export type { GuardDecision, GuardEffects } from "./fire.ts";
export { KILLED_ERROR, markKilledRun } from "./mark_killed.ts";
export { isValidTimeZone } from "./_zone.ts";
