// Static checks of `external.process` inputs on raw, unrendered values (builtins.md §4.4 validation table, §0.2
// D6 unknown keys). A value that still holds a `{{…}}` template is not judged here: it is checked when the step runs.
import type { Issue } from "../types.ts";
import { isPlainMap, literalBool, toText } from "./_coerce.ts";
import { INPUT_KEYS, LOG_MODES, NESTED_KEYS } from "./_external_process_plan.ts";
import { unknownInputIssues } from "./_suggest.ts";

function _isTemplate(value: unknown): boolean {
  return typeof value === "string" && value.includes("{{");
}

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
    // "no further checks" (§4.4): the other command rules need a command.
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
    typeof command === "string" && !_isStandaloneToken(command) && literalBool(raw.shell ?? false) === false
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
    if (_isTemplate(value)) continue;
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

/** Every §4.4 validation issue for one step's raw inputs; locs are relative to the inputs map. */
export function validateExternalProcess(raw: Record<string, unknown>): Issue[] {
  const issues = [..._commandIssues(raw), ...unknownInputIssues(raw, INPUT_KEYS)];
  for (const [key, allowed] of Object.entries(NESTED_KEYS)) {
    const value = raw[key];
    if (!isPlainMap(value)) continue;
    issues.push(...unknownInputIssues(value, allowed, `${key}.`));
    if (key === "log") issues.push(..._logIssues(value));
    if (key === "idempotency") issues.push(..._idempotencyIssues(value));
  }
  return issues;
}
