/**
 * Error classes shared by every subsystem. `cli/` maps them to exit codes
 * (0 ok, 1 run failed / runtime error, 2 invalid input) — see docs/cli.md [D2].
 * @module
 */
import type { Issue } from "./types.ts";

/**
 * Exit codes are a contract [D2]. `NOT_RUN` (75, sysexits EX_TEMPFAIL) is used by `schedule fire` alone: a start
 * that was asked for explicitly but ran nothing (docs/scheduling.md "Manual runs").
 */
export const EXIT = { OK: 0, FAILED: 1, INVALID: 2, NOT_RUN: 75 } as const;
export type ExitCode = typeof EXIT[keyof typeof EXIT];

export interface AetherflowErrorOptions {
  /** `family:detail` code from the spec (`schema:missing`, `template:syntax`…). */
  code?: string;
  /** Exit code the CLI should use when this error ends a command. */
  exitCode?: ExitCode;
  /** Where the bad input is (an option `--db`, an argument `RUN_ID`, a file path); JSON errors carry it. */
  loc?: string;
  cause?: unknown;
}

/** Base of every error the engine raises on purpose. Messages never contain secret values. */
export class AetherflowError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly loc?: string;
  constructor(message: string, options: AetherflowErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AetherflowError";
    this.code = options.code ?? "error";
    this.exitCode = options.exitCode ?? EXIT.FAILED;
    if (options.loc !== undefined) this.loc = options.loc;
  }
}

/** Invalid input detected before anything executed (exit 2). */
export class UsageError extends AetherflowError {
  constructor(message: string, options: AetherflowErrorOptions = {}) {
    super(message, { code: "usage", exitCode: EXIT.INVALID, ...options });
    this.name = "UsageError";
  }
}

/** A validation report with one or more errors (exit 2). Holds every issue [D9]. */
export class SpecError extends AetherflowError {
  readonly issues: readonly Issue[];
  readonly warnings: readonly Issue[];
  constructor(issues: readonly Issue[], warnings: readonly Issue[] = [], message?: string) {
    super(message ?? issues.map((i) => `${i.loc}: ${i.code} - ${i.msg}`).join("\n"), {
      code: issues[0]?.code ?? "spec",
      exitCode: EXIT.INVALID,
    });
    this.name = "SpecError";
    this.issues = issues;
    this.warnings = warnings;
  }
}

/** A state-store problem (unreachable, corrupt, newer schema…): exit 1. */
export class StateError extends AetherflowError {
  constructor(message: string, options: AetherflowErrorOptions = {}) {
    super(message, { code: "state", exitCode: EXIT.FAILED, ...options });
    this.name = "StateError";
  }
}

/** A step failed at run time. `retryable` is informational for callers. */
export class StepError extends AetherflowError {
  readonly retryable: boolean;
  constructor(message: string, options: AetherflowErrorOptions & { retryable?: boolean } = {}) {
    super(message, { code: "step", exitCode: EXIT.FAILED, ...options });
    this.name = "StepError";
    this.retryable = options.retryable ?? false;
  }
}

/** Anything thrown by or around a WASM plugin, normalised. */
export class PluginError extends AetherflowError {
  constructor(message: string, options: AetherflowErrorOptions = {}) {
    super(message, { code: "plugin", exitCode: EXIT.FAILED, ...options });
    this.name = "PluginError";
  }
}

/** Turn anything thrown into a message (plain objects from Extism workers included). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && "message" in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}
