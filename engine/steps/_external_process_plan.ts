// Pure planning for `external.process` (builtins.md §4.4, D16): rendered inputs -> a typed ProcessPlan, the child
// env, the backoff schedule and the retry decision. No I/O here, so every rule is testable without a process.
import { StepError } from "../errors.ts";
import type { JsonObject } from "../types.ts";
import { INPUT_ERROR, inputLabel, isPlainMap, toBool, toInt, toList, toNumber, toText } from "./_coerce.ts";

export const STEP_TYPE = "external.process";

/** Accepted inputs, in declaration order, with their nested fixed maps (§0.2 D6). */
export const INPUT_KEYS = [
  "command",
  "args",
  "shell",
  "cwd",
  "timeout_seconds",
  "kill_grace_seconds",
  "inherit_env",
  "env",
  "log",
  "idempotency",
  "success",
  "retry",
  "outputs",
] as const;
export const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  log: ["stdout", "stderr", "file_path", "max_capture_kb"],
  idempotency: ["strategy", "marker_path", "temp_output_dir", "final_output_dir", "atomic_rename"],
  success: ["exit_codes", "require_files", "require_glob", "forbid_files", "marker_file"],
  retry: [
    "max_attempts",
    "backoff_seconds",
    "backoff_multiplier",
    "max_backoff_seconds",
    "retry_on_exit_codes",
    "retry_on_timeout",
  ],
};

export const LOG_MODES = ["inherit", "capture", "file", "discard"] as const;
export type LogMode = typeof LOG_MODES[number];
export const STRATEGIES = ["none", "marker", "atomic_dir"] as const;
export type Strategy = typeof STRATEGIES[number];

export const SHELL_PATH = "/bin/sh";
const DEFAULT_KILL_GRACE_SECONDS = 15;
const SHELL_SAFE_REGEXP = /^[A-Za-z0-9_@%+=:,./-]+$/;

export interface LogPlan {
  stdout: LogMode;
  stderr: LogMode;
  filePath: string | null;
  /** Per-stream cap in bytes for `capture`; null = no cap. */
  maxCaptureBytes: number | null;
}

export interface IdempotencyPlan {
  strategy: Strategy;
  markerPath: string | null;
  tempOutputDir: string | null;
  finalOutputDir: string | null;
  atomicRename: boolean;
}

export interface SuccessPlan {
  exitCodes: number[];
  requireFiles: string[];
  requireGlob: string[];
  forbidFiles: string[];
}

export interface RetryPlan {
  maxAttempts: number;
  backoffSeconds: number;
  backoffMultiplier: number;
  maxBackoffSeconds: number;
  retryOnExitCodes: number[];
  retryOnTimeout: boolean;
}

/** Everything a run needs, typed and checked. Paths are still raw (the sandbox resolves them, with I/O). */
export interface ProcessPlan {
  /** The argv actually spawned (`/bin/sh -c <script>` with `shell: true`). */
  argv: string[];
  cwd: string | null;
  timeoutSeconds: number | null;
  /** The timeout as the user wrote it, for `timed out after <t>s`. */
  timeoutText: string;
  killGraceSeconds: number;
  inheritEnv: boolean;
  env: Record<string, string>;
  log: LogPlan;
  idempotency: IdempotencyPlan;
  success: SuccessPlan;
  retry: RetryPlan;
  outputs: JsonObject;
}

/** Label of a (possibly nested) input for typing errors. */
function _label(name: string): string {
  return inputLabel(STEP_TYPE, name);
}

/** A fixed nested map: null/absent -> {}; anything else but a map is an input error; unknown keys too. */
function _nestedMap(inputs: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = inputs[key];
  if (value === null || value === undefined) return {};
  if (!isPlainMap(value)) throw new StepError(`${_label(key)} must be a map`, INPUT_ERROR);
  for (const sub of Object.keys(value)) {
    if (!(NESTED_KEYS[key] ?? []).includes(sub)) {
      throw new StepError(`Unknown input ${key}.${sub}`, INPUT_ERROR);
    }
  }
  return value;
}

/** argv items are rendered as text (§0.4); a null item would silently become "null", so it is an error. */
function _argvItems(list: unknown[], name: string): string[] {
  return list.map((item, i) => {
    if (item === null || item === undefined) {
      throw new StepError(`${_label(`${name}[${i}]`)} must not be null`, INPUT_ERROR);
    }
    return toText(item);
  });
}

/** POSIX single-quote quoting, so `args` stay single words inside a `shell: true` script. */
export function shellQuote(word: string): string {
  if (SHELL_SAFE_REGEXP.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** D16: a list is argv; a string needs `shell: true` and runs as `/bin/sh -c <command>` (args quoted onto it). */
export function buildArgv(command: unknown, options: { args: unknown; shell: boolean }): string[] {
  if (command === null || command === undefined || command === "") {
    throw new StepError("external.process requires inputs.command", INPUT_ERROR);
  }
  if (options.args !== null && options.args !== undefined && !Array.isArray(options.args)) {
    throw new StepError("external.process inputs.args must be a list", INPUT_ERROR);
  }
  const args = _argvItems(options.args ?? [], "args");
  if (options.shell) {
    if (typeof command !== "string") {
      throw new StepError("external.process with shell: true needs inputs.command as a string", INPUT_ERROR);
    }
    const script = [command, ...args.map(shellQuote)].join(" ");
    return [SHELL_PATH, "-c", script];
  }
  if (typeof command === "string") {
    throw new StepError(
      "external.process inputs.command is a string; set shell: true or give a list",
      INPUT_ERROR,
    );
  }
  if (!Array.isArray(command)) {
    throw new StepError("external.process inputs.command must be a string or list", INPUT_ERROR);
  }
  if (command.length === 0) throw new StepError("external.process requires inputs.command", INPUT_ERROR);
  return [..._argvItems(command, "command"), ...args];
}

function _logMode(value: unknown): LogMode {
  const mode = value === null || value === undefined ? "" : toText(value).trim().toLowerCase();
  if (mode === "") return "inherit";
  if (!(LOG_MODES as readonly string[]).includes(mode)) {
    throw new StepError(`Unknown log mode: ${toText(value)}`, INPUT_ERROR);
  }
  return mode as LogMode;
}

function _optionalPath(value: unknown, name: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value !== "string") throw new StepError(`${_label(name)} must be a path string`, INPUT_ERROR);
  return value;
}

function _pathList(value: unknown, name: string): string[] {
  return toList(value).map((item, i) => {
    if (typeof item !== "string" || item === "") {
      throw new StepError(`${_label(`${name}[${i}]`)} must be a path string`, INPUT_ERROR);
    }
    return item;
  });
}

function _intList(value: unknown, name: string): number[] {
  return toList(value).map((item, i) => toInt(item, _label(`${name}[${i}]`), 0));
}

function _nonNegative(value: number, name: string): number {
  if (value < 0) throw new StepError(`${_label(name)} must be >= 0`, INPUT_ERROR);
  return value;
}

function _planLog(log: Record<string, unknown>): LogPlan {
  const stdout = _logMode(log.stdout);
  const stderr = _logMode(log.stderr);
  const filePath = _optionalPath(log.file_path, "log.file_path");
  if ((stdout === "file" || stderr === "file") && filePath === null) {
    throw new StepError("log.file_path is required when stdout/stderr mode is 'file'", INPUT_ERROR);
  }
  const capKb = toInt(log.max_capture_kb, _label("log.max_capture_kb"), null);
  if (capKb !== null) _nonNegative(capKb, "log.max_capture_kb");
  return { stdout, stderr, filePath, maxCaptureBytes: capKb === null ? null : capKb * 1024 };
}

function _planIdempotency(idem: Record<string, unknown>, markerFile: string | null): IdempotencyPlan {
  const raw = idem.strategy === null || idem.strategy === undefined ? "none" : toText(idem.strategy);
  const strategy = raw.trim().toLowerCase() || "none";
  // [ours] an unknown strategy is an error; upstream silently acted like `none`.
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new StepError(`Unsupported idempotency strategy: ${raw}`, INPUT_ERROR);
  }
  const plan: IdempotencyPlan = {
    strategy: strategy as Strategy,
    markerPath: _optionalPath(idem.marker_path, "idempotency.marker_path") ?? markerFile,
    tempOutputDir: _optionalPath(idem.temp_output_dir, "idempotency.temp_output_dir"),
    finalOutputDir: _optionalPath(idem.final_output_dir, "idempotency.final_output_dir"),
    atomicRename: toBool(idem.atomic_rename, _label("idempotency.atomic_rename"), true),
  };
  if (plan.strategy === "atomic_dir" && (plan.tempOutputDir === null || plan.finalOutputDir === null)) {
    throw new StepError("atomic_dir requires temp_output_dir and final_output_dir", INPUT_ERROR);
  }
  if (plan.strategy === "marker" && plan.markerPath === null) {
    throw new StepError(
      "idempotency.strategy marker requires idempotency.marker_path or success.marker_file",
      INPUT_ERROR,
    );
  }
  return plan;
}

function _planSuccess(success: Record<string, unknown>): { plan: SuccessPlan; markerFile: string | null } {
  const exitCodes = _intList(success.exit_codes, "success.exit_codes");
  const markerFile = _optionalPath(success.marker_file, "success.marker_file");
  const requireFiles = _pathList(success.require_files, "success.require_files");
  if (markerFile !== null) requireFiles.push(markerFile);
  return {
    plan: {
      exitCodes: exitCodes.length === 0 ? [0] : exitCodes,
      requireFiles,
      requireGlob: _pathList(success.require_glob, "success.require_glob"),
      forbidFiles: _pathList(success.forbid_files, "success.forbid_files"),
    },
    markerFile,
  };
}

function _planRetry(retry: Record<string, unknown>): RetryPlan {
  const maxAttempts = toInt(retry.max_attempts, _label("retry.max_attempts"), 1);
  // [ours] upstream's loop never ran with 0 and failed with a bare `external_process_failed`.
  if (maxAttempts < 1) throw new StepError(`${_label("retry.max_attempts")} must be >= 1`, INPUT_ERROR);
  return {
    maxAttempts,
    backoffSeconds: _nonNegative(
      toNumber(retry.backoff_seconds, _label("retry.backoff_seconds"), 0),
      "retry.backoff_seconds",
    ),
    backoffMultiplier: toNumber(retry.backoff_multiplier, _label("retry.backoff_multiplier"), 1),
    maxBackoffSeconds: toNumber(retry.max_backoff_seconds, _label("retry.max_backoff_seconds"), 0),
    retryOnExitCodes: _intList(retry.retry_on_exit_codes, "retry.retry_on_exit_codes"),
    retryOnTimeout: toBool(retry.retry_on_timeout, _label("retry.retry_on_timeout"), false),
  };
}

function _planEnv(value: unknown): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (!isPlainMap(value)) throw new StepError(`${_label("env")} must be a map`, INPUT_ERROR);
  const env: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) env[key] = v === null || v === undefined ? "" : toText(v);
  return env;
}

/**
 * Check and type rendered inputs. Throws StepError with the §4.4 / §0.2 messages.
 * `stepId` is only used for the generic `Step <id> missing inputs: […]` message (§0.1).
 */
export function planExternalProcess(inputs: Record<string, unknown>, stepId: string): ProcessPlan {
  if (!("command" in inputs)) throw new StepError(`Step ${stepId} missing inputs: ["command"]`, INPUT_ERROR);
  for (const key of Object.keys(inputs)) {
    if (!(INPUT_KEYS as readonly string[]).includes(key)) {
      throw new StepError(`Unknown input ${key}`, INPUT_ERROR);
    }
  }
  const shell = toBool(inputs.shell, _label("shell"), false);
  const argv = buildArgv(inputs.command, { args: inputs.args, shell });
  const timeoutSeconds = toNumber(inputs.timeout_seconds, _label("timeout_seconds"), null);
  if (timeoutSeconds !== null) _nonNegative(timeoutSeconds, "timeout_seconds");
  const outputs = inputs.outputs ?? {};
  if (!isPlainMap(outputs)) throw new StepError(`${_label("outputs")} must be a map`, INPUT_ERROR);
  const { plan: success, markerFile } = _planSuccess(_nestedMap(inputs, "success"));
  return {
    argv,
    cwd: _optionalPath(inputs.cwd, "cwd"),
    timeoutSeconds,
    timeoutText: timeoutSeconds === null ? "" : toText(inputs.timeout_seconds).trim(),
    killGraceSeconds: _nonNegative(
      toNumber(inputs.kill_grace_seconds, _label("kill_grace_seconds"), DEFAULT_KILL_GRACE_SECONDS),
      "kill_grace_seconds",
    ),
    inheritEnv: toBool(inputs.inherit_env, _label("inherit_env"), true),
    env: _planEnv(inputs.env),
    log: _planLog(_nestedMap(inputs, "log")),
    idempotency: _planIdempotency(_nestedMap(inputs, "idempotency"), markerFile),
    success,
    retry: _planRetry(_nestedMap(inputs, "retry")),
    outputs: outputs as JsonObject,
  };
}

/**
 * D16 child env: base (the run snapshot, never the live OS env, or empty) -> `env` entries -> the three
 * AETHERFLOW_* keys, which always win (upstream only set them when absent).
 */
export function buildChildEnv(
  plan: Pick<ProcessPlan, "inheritEnv" | "env">,
  context: { snapshot: Readonly<Record<string, string>>; flowId: string; runId: string; outputDir: string },
): Record<string, string> {
  return {
    ...(plan.inheritEnv ? context.snapshot : {}),
    ...plan.env,
    AETHERFLOW_FLOW_ID: context.flowId,
    AETHERFLOW_RUN_ID: context.runId,
    AETHERFLOW_OUTPUT_DIR: context.outputDir,
  };
}

/** Seconds to sleep before attempt `attempt` (1-based): `backoff * multiplier^(n-2)`, capped when max > 0. */
export function backoffDelay(retry: RetryPlan, attempt: number): number {
  if (attempt < 2 || retry.backoffSeconds <= 0) return 0;
  const delay = retry.backoffSeconds * retry.backoffMultiplier ** (attempt - 2);
  return retry.maxBackoffSeconds > 0 ? Math.min(delay, retry.maxBackoffSeconds) : delay;
}

/** How one attempt ended (produced by the I/O layer). */
export type AttemptOutcome =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: string }
  | { kind: "timeout" };

export type AttemptDecision =
  | { action: "success" }
  | { action: "retry" }
  | { action: "fail"; message: string };

/**
 * §4.4 steps 4–5: success when the exit code is accepted; retry only on listed exit codes / on timeout when
 * enabled and attempts remain; otherwise the contract message (argv as JSON, then captured stderr if any).
 */
export function decideAttempt(
  outcome: AttemptOutcome,
  options: {
    plan: Pick<ProcessPlan, "argv" | "success" | "retry" | "timeoutText">;
    attempt: number;
    stderr: string | null;
  },
): AttemptDecision {
  const { plan, attempt } = options;
  const attemptsLeft = attempt < plan.retry.maxAttempts;
  if (outcome.kind === "exit" && plan.success.exitCodes.includes(outcome.code)) return { action: "success" };
  if (outcome.kind === "timeout") {
    if (plan.retry.retryOnTimeout && attemptsLeft) return { action: "retry" };
    return { action: "fail", message: `external.process timed out after ${plan.timeoutText}s` };
  }
  if (outcome.kind === "exit" && plan.retry.retryOnExitCodes.includes(outcome.code) && attemptsLeft) {
    return { action: "retry" };
  }
  const head = outcome.kind === "exit"
    ? `external.process failed with exit code ${outcome.code}`
    : `external.process killed by signal ${outcome.signal}`;
  const tail = options.stderr === null ? "" : `\n${options.stderr}`;
  return { action: "fail", message: `${head}\n${JSON.stringify(plan.argv)}${tail}` };
}
