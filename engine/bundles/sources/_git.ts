// Running the system `git` (no shell; never prompts). Errors read `git failed (<args>): <stderr tail>` with any
// credentials in URLs masked.
import { AetherflowError, EXIT } from "../../errors.ts";

const _URL_USERINFO_REGEXP = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;

/** `https://user:token@host/x` -> `https://***@host/x`. */
export function redactUrl(text: string): string {
  return text.replace(_URL_USERINFO_REGEXP, "$1***@");
}

export interface GitResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Run `git <args>`; with `check` (default) a non-zero exit throws `git failed (…)`. */
export async function runGit(args: readonly string[], options: { check?: boolean } = {}): Promise<GitResult> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("git", {
      args: [...args],
      env: { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", LC_ALL: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new AetherflowError(`git failed (${redactUrl(args.join(" "))}): ${(err as Error).message}`, {
      code: "bundle:git",
      exitCode: EXIT.FAILED,
      cause: err,
    });
  }
  const stderr = new TextDecoder().decode(out.stderr);
  if (options.check !== false && out.code !== 0) throw gitError(args, stderr);
  return { code: out.code, stdout: out.stdout, stderr };
}

export function gitError(args: readonly string[], stderr: string): AetherflowError {
  const tail = stderr.trim().split("\n").slice(-3).join(" | ").slice(-500);
  return new AetherflowError(`git failed (${redactUrl(args.join(" "))}): ${redactUrl(tail)}`, {
    code: "bundle:git",
    exitCode: EXIT.FAILED,
  });
}
