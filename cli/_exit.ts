// The only place that turns errors into exit codes and stderr lines (docs/cli.md). Every message goes through
// the masker first (compose/error_masking.ts, docs/secrets.md "Error paths").
import { maskForReport } from "../compose/error_masking.ts";
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
    console.error(maskForReport(`Error: ${err.message}`));
    if (debug && err.stack) console.error(maskForReport(err.stack));
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(maskForReport(`Internal error: ${msg}`));
  if (debug && err instanceof Error && err.stack) console.error(maskForReport(err.stack));
  return EXIT.FAILED;
}
