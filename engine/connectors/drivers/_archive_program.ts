// Running an archiver program for the `os` and `external` drivers: PATH lookup, stdin from a string, stderr kept
// for the error message with the password blanked, the run's abort signal kills the program.
import { delimiter, isAbsolute, join } from "node:path";
import { ArchiveError, withoutSecret } from "./_archive_io.ts";

/** Whether `cmd` (a bare name looked up on PATH, or a path) names an executable file. */
export async function onPath(cmd: string): Promise<boolean> {
  const candidates = cmd.includes("/")
    ? [cmd]
    : (Deno.env.get("PATH") ?? "").split(delimiter).filter((d) => isAbsolute(d)).map((d) => join(d, cmd));
  for (const path of candidates) {
    try {
      const info = await Deno.stat(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return true;
    } catch {
      // not here
    }
  }
  return false;
}

const _TAIL = 600;

export interface ProgramRun {
  /** `archive.os` / `archive.external`: the prefix of error messages. */
  label: string;
  argv: readonly string[];
  cwd: string;
  stdin?: string;
  signal: AbortSignal;
  /** Blanked from every message (the program may echo its argv). */
  password: string | null;
  /** Exit codes that count as success (default `[0]`). */
  okCodes?: readonly number[];
  /** Message for a given exit code (e.g. unzip's 82 = wrong password). */
  codeMessages?: Readonly<Record<number, string>>;
}

/** Run the program; resolves with its stderr text on success. */
export async function runProgram(run: ProgramRun): Promise<string> {
  const [cmd, ...args] = run.argv;
  if (cmd === undefined || cmd === "") throw new ArchiveError(`${run.label}: empty command`);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      cwd: run.cwd,
      stdin: run.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: run.signal,
    }).spawn();
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "not found" : (err as Error).message;
    throw new ArchiveError(`${run.label}: cannot start '${cmd}': ${withoutSecret(why, run.password)}`);
  }
  // Output is collected while stdin is written, so a chatty program cannot block on a full pipe.
  const collected = child.output();
  if (run.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(run.stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await collected;
  const text = (b: Uint8Array) => withoutSecret(new TextDecoder().decode(b), run.password);
  const stderr = text(out.stderr);
  if ((run.okCodes ?? [0]).includes(out.code) && out.signal === null) return stderr;
  if (run.signal.aborted) throw new ArchiveError(`${run.label}: '${cmd}' stopped: the run was terminated`);
  const known = run.codeMessages?.[out.code];
  if (known !== undefined) throw new ArchiveError(known, { code: "connector:archive_program" });
  const said = (stderr.trim() || text(out.stdout).trim()).slice(-_TAIL);
  const how = out.signal !== null ? `was killed by ${out.signal}` : `exited ${out.code}`;
  throw new ArchiveError(`${run.label}: '${cmd}' ${how}${said ? `: ${said}` : ""}`, {
    code: "connector:archive_program",
  });
}
