// Reading the scheduler file and printing for the `schedule` commands (only cli/ prints).
import { dirname, join, resolve } from "node:path";
import { AetherflowError, UsageError } from "../engine/errors.ts";
import type { Issue } from "../engine/types.ts";
import { formatIssueLine } from "../engine/flow/mod.ts";
import { parseEnvironmentFile, parseSchedulerYaml, type SchedulerConfig } from "../engine/scheduler/mod.ts";

export function loadSchedulerFile(file: string) {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`Scheduler file not found: ${file}`);
    if (err instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`Scheduler file is a directory: ${file}`);
    }
    throw new AetherflowError(`Cannot read scheduler file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { report: parseSchedulerYaml(text, file), shown: file };
}

/** A valid config, or the report on stderr and exit 2 before anything runs. */
export function schedulerConfig(file: string): SchedulerConfig {
  const { report, shown } = loadSchedulerFile(file);
  for (const i of report.warnings) errLine(formatIssueLine("!", i));
  if (!report.config) {
    errLine(`INVALID: ${shown}`);
    for (const i of report.errors) errLine(formatIssueLine("-", i));
    throw new UsageError(`Invalid scheduler file ${shown}: ${report.errors.length} error(s)`, {
      code: report.errors[0]?.code ?? "scheduler:invalid",
    });
  }
  return report.config;
}

/** The variables of a systemd EnvironmentFile (what the units will start with). */
export function readEnvironmentFile(path: string): Record<string, string> {
  try {
    return parseEnvironmentFile(Deno.readTextFileSync(path));
  } catch (err) {
    throw new UsageError(
      `Cannot read --environment-file ${path}: ${(err as Error).message} ` +
        "(the units read it at every start; it is read here too, to check the flows with it)",
      { cause: err },
    );
  }
}

/** `- loc: code - msg (file:line:col)` lines, errors then warnings (the shape of flow validation). */
export function issueLines(errors: readonly Issue[], warnings: readonly Issue[]): string[] {
  return [...errors.map((i) => formatIssueLine("-", i)), ...warnings.map((i) => formatIssueLine("!", i))];
}

const _enc = new TextEncoder();

export function outLine(line: string): void {
  _writeAll(Deno.stdout, line + "\n");
}

export function errLine(line: string): void {
  _writeAll(Deno.stderr, line + "\n");
}

function _writeAll(w: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = _enc.encode(text);
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}

/** A bad `--out` (a file, under a file) is reported before any check runs. */
export async function checkOutDir(out: string): Promise<void> {
  let dir = resolve(out);
  for (;;) {
    const st = await Deno.stat(dir).catch((err) => {
      // Missing, or below a file: look at the parent.
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return undefined;
      throw new UsageError(`Cannot use --out ${out}: ${(err as Error).message}`, { cause: err });
    });
    if (st && !st.isDirectory) {
      throw new UsageError(`--out ${out}: ${dir} exists and is not a directory`);
    }
    if (st) return;
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Write every file into `out` all-or-nothing (units, manifests): each file goes to a temporary name first and is renamed only
 * once every file is written, so a full disk or a bad directory leaves no half-written set.
 */
export async function writeFilesAllOrNothing(out: string, files: readonly [string, string][]): Promise<void> {
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (err) {
    throw new UsageError(`Cannot create --out directory ${out}: ${(err as Error).message}`, { cause: err });
  }
  const temps: string[] = [];
  try {
    for (const [name, text] of files) {
      const tmp = join(out, `.${name}.${Deno.pid}.tmp`);
      temps.push(tmp);
      await Deno.writeTextFile(tmp, text, { mode: 0o644 });
    }
    for (const [i, [name]] of files.entries()) await Deno.rename(temps[i]!, join(out, name));
  } catch (err) {
    for (const tmp of temps) await Deno.remove(tmp).catch(() => {});
    throw new AetherflowError(`Cannot write files into ${out}: ${(err as Error).message}`, { cause: err });
  }
  for (const [name] of files) outLine(`wrote ${join(out, name)}`);
}
