// Pure planning for `external.process` (docs/steps.md "external.process", D16): the inputs schema, parsed inputs
// -> a typed ProcessPlan, the child env, the backoff schedule and the retry decision. No I/O here, so every rule is
// testable without a process.
import type { z } from "zod";
import { StepError } from "../errors.ts";
import { asNumber, fail, field, fields, isMap, toText } from "../inputs/mod.ts";
import type { JsonObject } from "../types.ts";
import { parseStepInputs } from "./inputs.ts";

const INPUT_ERROR = { code: "step:invalid_input" } as const;

export const STEP_TYPE = "external.process";

export const LOG_MODES = ["inherit", "capture", "file", "discard"] as const;
export type LogMode = typeof LOG_MODES[number];
export const STRATEGIES = ["none", "marker", "atomic_dir"] as const;
export type Strategy = typeof STRATEGIES[number];

export const SHELL_PATH = "/bin/sh";
const DEFAULT_KILL_GRACE_SECONDS = 15;
const SHELL_SAFE_REGEXP = /^[A-Za-z0-9_@%+=:,./-]+$/;

const _logMode = fields.oneOf(LOG_MODES, {
  default: "inherit",
  message: (raw) => `Unknown log mode: ${raw}`,
  code: "semantic:external_process_log_mode",
});

/** The timeout in seconds and as the user wrote it (for `timed out after <t>s`). */
const _timeout = field((v, ctx) => {
  const n = asNumber(v);
  if (n === undefined) return fail(ctx, "must be a number");
  return n < 0 ? fail(ctx, "must be >= 0") : { seconds: n, text: toText(v).trim() };
}, { required: false, fallback: null });

/** Env entries as text; a null value is "". */
const _env = field((v, ctx) => {
  if (!isMap(v)) return fail(ctx, "must be a map");
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    env[key] = value === null || value === undefined ? "" : toText(value);
  }
  return env;
}, { required: false, fallback: {} });

/** The inputs of `external.process`, nested fixed maps included [D6]. */
export const EXTERNAL_PROCESS_INPUTS = fields.fixedMap({
  // The shape of command/args depends on `shell`: checked by buildArgv with the contract messages.
  command: fields.any({ required: true }),
  args: fields.any(),
  shell: fields.bool({ default: false }),
  cwd: fields.path({ default: null }),
  timeout_seconds: _timeout,
  kill_grace_seconds: fields.number({ default: DEFAULT_KILL_GRACE_SECONDS, min: 0 }),
  inherit_env: fields.bool({ default: true }),
  env: _env,
  log: fields.map({
    stdout: _logMode,
    stderr: _logMode,
    file_path: fields.path({ default: null }),
    max_capture_kb: fields.int({ default: null, min: 0 }),
  }),
  idempotency: fields.map({
    // [ours] an unknown strategy is an error; upstream silently acted like `none`.
    strategy: fields.oneOf(STRATEGIES, {
      default: "none",
      message: (raw) => `Unsupported idempotency strategy: ${raw}`,
    }),
    marker_path: fields.path({ default: null }),
    temp_output_dir: fields.path({ default: null }),
    final_output_dir: fields.path({ default: null }),
    atomic_rename: fields.bool({ default: true }),
  }),
  success: fields.map({
    exit_codes: fields.list(fields.int()),
    require_files: fields.list(fields.path()),
    require_glob: fields.list(fields.path()),
    forbid_files: fields.list(fields.path()),
    marker_file: fields.path({ default: null }),
  }),
  retry: fields.map({
    // [ours] upstream's loop never ran with 0 and failed with a bare `external_process_failed`.
    max_attempts: fields.int({ default: 1, min: 1 }),
    backoff_seconds: fields.number({ default: 0, min: 0 }),
    backoff_multiplier: fields.number({ default: 1 }),
    max_backoff_seconds: fields.number({ default: 0 }),
    retry_on_exit_codes: fields.list(fields.int()),
    retry_on_timeout: fields.bool({ default: false }),
  }),
  outputs: fields.record(),
});

export type ExternalProcessInput = z.output<typeof EXTERNAL_PROCESS_INPUTS>;

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

function _label(name: string): string {
  return `${STEP_TYPE} inputs.${name}`;
}

/** argv items are rendered as text; a null item would silently become "null", so it is an error. */
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

/**
 * The plan of parsed inputs: the cross-field rules (argv from command/args/shell, log file, strategies).
 * @throws {StepError} with the contract messages.
 */
export function planFromInput(input: ExternalProcessInput): ProcessPlan {
  const argv = buildArgv(input.command, { args: input.args, shell: input.shell });
  const { log, idempotency: idem, success, retry } = input;
  if ((log.stdout === "file" || log.stderr === "file") && log.file_path === null) {
    throw new StepError("log.file_path is required when stdout/stderr mode is 'file'", INPUT_ERROR);
  }
  const idempotency: IdempotencyPlan = {
    strategy: idem.strategy,
    markerPath: idem.marker_path ?? success.marker_file,
    tempOutputDir: idem.temp_output_dir,
    finalOutputDir: idem.final_output_dir,
    atomicRename: idem.atomic_rename,
  };
  if (
    idempotency.strategy === "atomic_dir" &&
    (idempotency.tempOutputDir === null || idempotency.finalOutputDir === null)
  ) {
    throw new StepError("atomic_dir requires temp_output_dir and final_output_dir", INPUT_ERROR);
  }
  if (idempotency.strategy === "marker" && idempotency.markerPath === null) {
    throw new StepError(
      "idempotency.strategy marker requires idempotency.marker_path or success.marker_file",
      INPUT_ERROR,
    );
  }
  const requireFiles = [...success.require_files];
  if (success.marker_file !== null) requireFiles.push(success.marker_file);
  return {
    argv,
    cwd: input.cwd,
    timeoutSeconds: input.timeout_seconds?.seconds ?? null,
    timeoutText: input.timeout_seconds?.text ?? "",
    killGraceSeconds: input.kill_grace_seconds,
    inheritEnv: input.inherit_env,
    env: input.env,
    log: {
      stdout: log.stdout,
      stderr: log.stderr,
      filePath: log.file_path,
      maxCaptureBytes: log.max_capture_kb === null ? null : log.max_capture_kb * 1024,
    },
    idempotency,
    success: {
      exitCodes: success.exit_codes.length === 0 ? [0] : success.exit_codes,
      requireFiles,
      requireGlob: success.require_glob,
      forbidFiles: success.forbid_files,
    },
    retry: {
      maxAttempts: retry.max_attempts,
      backoffSeconds: retry.backoff_seconds,
      backoffMultiplier: retry.backoff_multiplier,
      maxBackoffSeconds: retry.max_backoff_seconds,
      retryOnExitCodes: retry.retry_on_exit_codes,
      retryOnTimeout: retry.retry_on_timeout,
    },
    // Rendered inputs are JSON values.
    outputs: input.outputs as JsonObject,
  };
}

/** Parse rendered inputs, then plan them (what the runner and `run` do, in one call for tests). */
export function planExternalProcess(rendered: Record<string, unknown>, stepId: string): ProcessPlan {
  return planFromInput(
    parseStepInputs({ type: STEP_TYPE, inputs: EXTERNAL_PROCESS_INPUTS }, rendered, stepId),
  );
}

/**
 * D16 child env: base (the run snapshot, never the live OS env, or empty) -> `env` entries -> the AETHERFLOW_*
 * keys, which always win (upstream only set them when absent).
 */
export function buildChildEnv(
  plan: Pick<ProcessPlan, "inheritEnv" | "env">,
  context: {
    snapshot: Readonly<Record<string, string>>;
    flowId: string;
    runId: string;
    outputDir: string;
    /** The outputs file the child may write (docs/steps.md "Outputs file"). */
    outputsFile?: string;
  },
): Record<string, string> {
  return {
    ...(plan.inheritEnv ? context.snapshot : {}),
    ...plan.env,
    AETHERFLOW_FLOW_ID: context.flowId,
    AETHERFLOW_RUN_ID: context.runId,
    AETHERFLOW_OUTPUT_DIR: context.outputDir,
    ...(context.outputsFile === undefined ? {} : { AETHERFLOW_OUTPUTS: context.outputsFile }),
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
 * docs/templating.md steps 4–5: success when the exit code is accepted; retry only on listed exit codes / on timeout when
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
