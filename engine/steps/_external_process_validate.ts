// The cross-field checks of `external.process` on raw, unrendered values (docs/steps.md "external.process"); types
// and unknown keys come from the inputs schema. A value that still holds a `{{…}}` template is not judged here: it
// is checked when the step runs.
import { asBool, isMap, isTemplated, toText } from "../inputs/mod.ts";
import type { Issue } from "../types.ts";
import { LOG_MODES } from "./_external_process_plan.ts";

/** A whole-string token like `{{steps.a.argv}}` keeps its type when rendered, so it may become a list. */
function _isStandaloneToken(value: string): boolean {
  const text = value.trim();
  return text.startsWith("{{") && text.endsWith("}}") && text.indexOf("{{", 2) === -1;
}

function _isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

function _commandIssues(raw: Record<string, unknown>): Issue[] {
  const command = raw.command;
  if (_isBlank(command) || (Array.isArray(command) && command.length === 0)) {
    // No further checks: the other command rules need a command.
    return [{
      code: "semantic:external_process_missing_command",
      loc: "command",
      msg: "external.process requires inputs.command",
    }];
  }
  if (typeof command !== "string" && !Array.isArray(command)) {
    return [{
      code: "semantic:external_process_command_type",
      loc: "command",
      msg: "external.process inputs.command must be a string or list",
    }];
  }
  // Only a literal `shell` is judged; a standalone command token may render to a list (argv).
  if (
    typeof command === "string" && !_isStandaloneToken(command) && asBool(raw.shell ?? false) === false
  ) {
    return [{
      code: "semantic:external_process_shell_required",
      loc: "command",
      msg: "external.process inputs.command is a string; set shell: true or give a list",
    }];
  }
  return [];
}

function _logIssues(log: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const modes: string[] = [];
  for (const stream of ["stdout", "stderr"] as const) {
    const value = log[stream];
    if (isTemplated(value)) continue;
    const mode = _isBlank(value) ? "inherit" : toText(value).trim().toLowerCase();
    modes.push(mode);
    if (!(LOG_MODES as readonly string[]).includes(mode)) {
      issues.push({
        code: "semantic:external_process_log_mode",
        loc: `log.${stream}`,
        msg: `Unknown log mode: ${toText(value)}`,
      });
    }
  }
  if (modes.includes("file") && _isBlank(log.file_path)) {
    issues.push({
      code: "semantic:external_process_log_file",
      loc: "log.file_path",
      msg: "log.file_path is required when stdout/stderr mode is 'file'",
    });
  }
  return issues;
}

function _idempotencyIssues(idem: Record<string, unknown>): Issue[] {
  const strategy = idem.strategy;
  if (typeof strategy !== "string" || strategy.trim().toLowerCase() !== "atomic_dir") return [];
  if (!_isBlank(idem.temp_output_dir) && !_isBlank(idem.final_output_dir)) return [];
  return [{
    code: "semantic:external_process_atomic_dir",
    loc: "idempotency",
    msg: "atomic_dir requires temp_output_dir and final_output_dir",
  }];
}

/** The cross-field validation issues of one step's raw inputs; locs are relative to the inputs map. */
export function validateExternalProcess(raw: Record<string, unknown>): Issue[] {
  const issues = _commandIssues(raw);
  if (isMap(raw.log)) issues.push(..._logIssues(raw.log));
  if (isMap(raw.idempotency)) issues.push(..._idempotencyIssues(raw.idempotency));
  return issues;
}
