/**
 * Small shared records: validation issues, statuses, JSON values.
 * @module
 */

/** A JSON value: everything persisted in state or passed across the plugin ABI. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * One validation finding (docs/validation.md). `loc` is the YAML path (`jobs[0].steps[1].type`, `<root>`),
 * `line`/`col` the 1-based source position when known, `file` the flow/profile file when known.
 */
export interface Issue {
  code: string;
  loc: string;
  msg: string;
  line?: number;
  col?: number;
  file?: string;
}

/**
 * A plain map: a YAML mapping or a JSON object (not a list, not null, not a Date from a YAML 1.1 timestamp).
 * The one map test of the engine.
 */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Job and step statuses (state rows and events). */
export const STATUS = {
  RUNNING: "RUNNING",
  SUCCESS: "SUCCESS",
  SKIPPED: "SKIPPED",
  FAILED: "FAILED",
  BLOCKED: "BLOCKED",
} as const;
export type Status = typeof STATUS[keyof typeof STATUS];
