// The only place that turns errors into exit codes and stderr lines (docs/cli.md).
import { AetherflowError, EXIT, type ExitCode } from "../engine/errors.ts";

let _exitCode: ExitCode = EXIT.OK;

/** Record the exit code a command ends with; main exits with it once the action returns. */
export function setExitCode(code: ExitCode): void {
  _exitCode = code;
}

export function exitCode(): ExitCode {
  return _exitCode;
}

/** Print `Error: <message>` (no stack unless debugging) and return the exit code for `err`. */
export function reportError(err: unknown, debug = false): ExitCode {
  if (err instanceof AetherflowError) {
    console.error(`Error: ${err.message}`);
    if (debug && err.stack) console.error(err.stack);
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(`Internal error: ${msg}`);
  if (debug && err instanceof Error && err.stack) console.error(err.stack);
  return EXIT.FAILED;
}
