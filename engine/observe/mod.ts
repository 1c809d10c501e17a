/**
 * Observability: the run logger (text/JSON lines, masked), run events with their contract field order, and the
 * live terminal progress view (docs/observability.md).
 * @module
 */
export {
  formatLocalTime,
  formatRecordText,
  LOG_LEVELS,
  Logger,
  parseLogLevel,
  renderFieldValue,
} from "./logger.ts";
export type {
  EventFields,
  EventListener,
  LogFormat,
  LoggerOptions,
  LogLevel,
  LogRecord,
  NamedLogger,
  RecordSink,
} from "./logger.ts";
export { EVENT, flowLoggerName, jobLoggerName, RunEvents } from "./events.ts";
export type { RunEventsOptions, SummaryJob, SummaryStep } from "./events.ts";
export { LiveProgress, renderStatusTable } from "./progress.ts";
export type { LiveProgressOptions } from "./progress.ts";
export { removeRunLog, RUN_LOG_MAX_BYTES, runLogPath, RunLogReader, RunLogWriter } from "./run_log.ts";
export { isJournalStream, syslogPriority, withPriorityPrefix } from "./journald.ts";
