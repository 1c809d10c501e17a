/**
 * Cron scheduler and systemd unit generation (docs/scheduling.md part B) [D13].
 * @module
 */
export { CronError, cronNeverFires, numericDowWarnings, parseCron } from "./cron.ts";
export type { CronField, CronSpec, CronTerm, FieldName } from "./cron.ts";
export { matchesDay, nextFire, nextFires, prevFire } from "./next_fire.ts";
export { cronToOnCalendar, OnCalendarError } from "./oncalendar.ts";
export {
  DEFAULT_MISFIRE_GRACE_S,
  DEFAULT_TIMEOUT_S,
  DEFAULT_TIMEZONE,
  parseDurationSeconds,
  parseSchedulerYaml,
  unsafeItemId,
} from "./parse_scheduler_yaml.ts";
export type { ItemPosition, ScheduleItem, SchedulerConfig, SchedulerReport } from "./parse_scheduler_yaml.ts";
export {
  badUserName,
  DEFAULT_STOP_GRACE_S,
  LOCK_DIR_NAME,
  renderUnits,
  STOP_MARGIN_S,
  unitBaseName,
  UnitRenderError,
} from "./units.ts";
export type { UnitAccount, UnitOptions, UnitPair } from "./units.ts";
export { parentDir, planUnitPaths } from "./unit_paths.ts";
export type { PathNeed, PathPlan } from "./unit_paths.ts";
export { NOTIFY_ON_FAILURE, NOTIFY_TEMPLATE_NAME, renderNotifyUnit } from "./notify_unit.ts";
export type { NotifyUnitOptions } from "./notify_unit.ts";
export { parseEnvironmentFile } from "./environment_file.ts";
export { dstWarnings } from "./dst.ts";
export type { DstWarning } from "./dst.ts";
export { runArgs, runIdFor, slotOfRunId } from "./run_args.ts";
export { decideDue, recheckWaiting } from "./decide.ts";
export type { DueDecision, DueInput, DueResult } from "./decide.ts";
export { parseRunStartState, Scheduler, SCHEDULER_LOGGER } from "./loop.ts";
export type { ChildHandle, Clock, SchedulerLog, SchedulerOptions, SpawnRequest } from "./loop.ts";
export { permissionFlags, SELF_CMD_ENV, selfCommand } from "./self_command.ts";
export type { SelfInfo } from "./self_command.ts";
export { decideGuard, EXIT_NOT_RUN, manualRunId, runFireGuard, runNow } from "./fire.ts";
export type { FireTrigger, GuardDecision, GuardEffects, GuardOptions } from "./fire.ts";
export { KILLED_ERROR, markKilledIn, markKilledRun } from "./mark_killed.ts";
export { isValidTimeZone, suggestZone, timeZoneProblem } from "./_zone.ts";
export type { ZoneProblem } from "./_zone.ts";
