// `aetherflow schedule validate|next|run|systemd|fire` (bundles-scheduler.md part B) [D13].
// Exit codes: 0 ok, 2 invalid input (nothing runs), 1 runtime error.
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { AetherflowError, EXIT, UsageError } from "../engine/errors.ts";
import type { Issue } from "../engine/types.ts";
import { Masker } from "../engine/config/mod.ts";
import { Logger, parseLogLevel } from "../engine/observe/mod.ts";
import {
  CronError,
  isValidTimeZone,
  markKilledRun,
  nextFires,
  OnCalendarError,
  parseCron,
  parseSchedulerYaml,
  renderUnits,
  runFireGuard,
  Scheduler,
  SCHEDULER_LOGGER,
  type SchedulerConfig,
  selfCommand,
  type UnitPair,
  UnitRenderError,
  unsafeItemId,
} from "../engine/scheduler/mod.ts";
import {
  clockFromEnv,
  currentSelfInfo,
  defaultLockDir,
  realSleep,
  spawnChild,
  tryItemLock,
} from "../engine/scheduler/effects.ts";
import { setExitCode } from "./_exit.ts";
import { stderrLineWriter } from "./_stderr_log.ts";

export function registerSchedule(program: Command): void {
  const schedule = program.command("schedule").description("Cron scheduler and systemd timer units");

  schedule.command("validate").description("Validate a scheduler.yaml (exit 0 ok, 2 invalid)")
    .argument("<scheduler_yaml>")
    .option("--json", "print the report as one JSON line")
    .action((file, opts) => {
      const { report, shown } = _load(file);
      if (opts.json) {
        _out(
          JSON.stringify({
            ok: report.ok,
            errors: report.errors,
            warnings: report.warnings,
            scheduler_yaml: shown,
          }),
        );
      } else {
        _out(`${report.ok ? "OK" : "INVALID"}: ${shown}`);
        for (const i of report.errors) _out(`- ${_where(i)}`);
        for (const i of report.warnings) _out(`! ${_where(i)}`);
      }
      setExitCode(report.ok ? EXIT.OK : EXIT.INVALID);
    });

  schedule.command("next").description("Next fire times per item, in the file's time zone and in UTC")
    .argument("<scheduler_yaml>")
    .option("--count <n>", `fire times per item (1..${_MAX_COUNT})`, _count, 5)
    .option("--from <time>", "compute from this instant (ISO 8601) instead of now", _instant)
    .option("--json", "print one JSON line")
    .action((file, opts) => {
      const config = _config(file);
      const from = opts.from ?? Date.now();
      const items = config.items.map((item) => ({
        id: item.id,
        cron: item.cron,
        timezone: config.timezone,
        next: nextFires(item.spec, config.timezone, from, opts.count).map((t) => ({
          local: _localTime(t, config.timezone),
          utc: new Date(t).toISOString().replace(".000Z", "Z"),
        })),
      }));
      if (opts.json) return _out(JSON.stringify({ items }));
      for (const item of items) {
        _out(`${item.id}  ${item.cron}  (${item.timezone})`);
        for (const n of item.next) _out(`  ${n.local}  ${n.utc}`);
      }
    });

  schedule.command("run").description("Run the scheduler in the foreground until SIGTERM/SIGINT")
    .argument("<scheduler_yaml>")
    .option("--grace-seconds <n>", "drain time for running children on shutdown", _nonNegativeInt, 30)
    .action(async (file, opts) => {
      const config = _config(file);
      setExitCode(await _runLoop(config, file, opts.graceSeconds) === 0 ? EXIT.OK : EXIT.FAILED);
    });

  schedule.command("systemd").description("Write a .service and .timer unit per item")
    .argument("<scheduler_yaml>")
    .requiredOption("--out <dir>", "directory for the unit files")
    .option("--binary <path>", "aetherflow executable for ExecStart (default: this program)")
    .option("--user", "user units (systemctl --user)")
    .option("--workdir <dir>", "WorkingDirectory= (default: the current directory)")
    .option(
      "--persistent",
      "Persistent=true (a missed elapse fires at boot, still bounded by the grace guard)",
    )
    .option("--randomized-delay-sec <n>", "RandomizedDelaySec=", _nonNegativeInt, 0)
    .option("--timeout-start-sec <value>", "TimeoutStartSec= (systemd time span)", "infinity")
    .option("--grace-seconds <n>", "drain time on stop; TimeoutStopSec= adds 10 s", _nonNegativeInt, 30)
    .option("--read-write-path <dir...>", "extra ReadWritePaths= (work root, state DB dir…)")
    .option("--environment-file <path>", "EnvironmentFile= (systemd does not inherit your shell env)")
    .option("--run-as <user>", "User= (system units only)")
    .action(async (file, opts) => {
      if (opts.user && opts.runAs !== undefined) {
        throw new UsageError("--run-as sets User= of system units; user units (--user) run as you: drop one");
      }
      const config = _config(file);
      const cwd = Deno.cwd();
      const workdir = resolve(cwd, opts.workdir ?? cwd);
      const base = config.pathsRelativeTo === "file" ? dirname(resolve(cwd, file)) : workdir;
      const command = opts.binary ? [resolve(cwd, opts.binary)] : selfCommand(currentSelfInfo());
      const pairs: UnitPair[] = [];
      const refused: string[] = [];
      for (const item of config.items) {
        try {
          pairs.push(renderUnits(item, {
            command,
            workdir,
            timezone: config.timezone,
            resolvePath: (p) => resolve(base, p),
            user: opts.user === true,
            persistent: opts.persistent === true,
            randomizedDelaySec: opts.randomizedDelaySec,
            timeoutStartSec: opts.timeoutStartSec,
            graceSeconds: opts.graceSeconds,
            readWritePaths: (opts.readWritePath ?? []).map((p) => resolve(cwd, p)),
            environmentFile: opts.environmentFile ? resolve(cwd, opts.environmentFile) : undefined,
            runAs: opts.runAs,
            source: resolve(cwd, file),
          }));
        } catch (err) {
          if (!(err instanceof OnCalendarError) && !(err instanceof UnitRenderError)) throw err;
          refused.push(`item ${item.id}: ${err.message}`);
        }
      }
      if (refused.length > 0) {
        throw new UsageError(
          `Cannot express these items as systemd timers (nothing written):\n${refused.join("\n")}`,
        );
      }
      await _writeUnits(opts.out, pairs);
      const ctl = opts.user ? "systemctl --user" : "systemctl";
      const timers = pairs.map((p) => p.timerName).join(" ");
      if (pairs.length > 0) {
        _out(
          `install: cp ${join(opts.out, "aetherflow-*")} ${
            opts.user ? "~/.config/systemd/user/" : "/etc/systemd/system/"
          }`,
        );
        _out(`enable:  ${ctl} daemon-reload && ${ctl} enable --now ${timers}`);
      }
    });

  schedule.command("fire").description("Guard used by generated systemd units: run the current slot once")
    .requiredOption("--item <id>", "item id (run id prefix)")
    .requiredOption("--cron <expr>", "the item's cron expression")
    .requiredOption("--tz <zone>", "IANA time zone")
    .option("--grace <seconds>", "misfire grace time", _positiveInt, 300)
    .option("--lock-dir <dir>", "directory of per-item lock files")
    .argument("<command...>", "after --: `run` and its arguments")
    .action(async (command, opts) => {
      const badId = unsafeItemId(opts.item);
      if (badId !== undefined) throw new UsageError(`Invalid --item ${JSON.stringify(opts.item)}: ${badId}`);
      if (command[0] !== "run") {
        throw new UsageError(`schedule fire runs 'run …' after --, got '${command[0]}'`);
      }
      let spec;
      try {
        spec = parseCron(opts.cron);
      } catch (err) {
        if (err instanceof CronError) throw new UsageError(`Invalid cron '${opts.cron}': ${err.message}`);
        throw err;
      }
      if (!isValidTimeZone(opts.tz)) throw new UsageError(`Unknown time zone: ${opts.tz}`);
      const logger = _logger();
      const lockDir = opts.lockDir ?? defaultLockDir();
      const rc = await runFireGuard(
        {
          itemId: opts.item,
          spec,
          tz: opts.tz,
          graceS: opts.grace,
          command: [...selfCommand(currentSelfInfo()), ...command],
        },
        {
          now: () => Date.now(),
          tryLock: (id) => _tryLock(lockDir, id),
          run: (argv) => _runInherit(argv),
          message: (level, text) => logger.log(level, SCHEDULER_LOGGER, text),
        },
      );
      setExitCode(rc === 0 ? EXIT.OK : rc === 2 ? EXIT.INVALID : EXIT.FAILED);
    });
}

/**
 * Write every unit into `out` all-or-nothing: each file goes to a temporary name first and is renamed only
 * once every file is written, so a full disk or a bad directory leaves no half-written unit set.
 */
async function _writeUnits(out: string, pairs: readonly UnitPair[]): Promise<void> {
  try {
    const st = await Deno.stat(out).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    });
    if (st && !st.isDirectory) throw new UsageError(`--out ${out} exists and is not a directory`);
    await Deno.mkdir(out, { recursive: true });
  } catch (err) {
    if (err instanceof AetherflowError) throw err;
    throw new UsageError(`Cannot create --out directory ${out}: ${(err as Error).message}`, { cause: err });
  }
  const files = pairs.flatMap((p) => [[p.serviceName, p.service], [p.timerName, p.timer]] as const);
  const temps: string[] = [];
  try {
    for (const [name, text] of files) {
      const tmp = join(out, `.${name}.${Deno.pid}.tmp`);
      temps.push(tmp);
      await Deno.writeTextFile(tmp, text);
    }
    for (const [i, [name]] of files.entries()) await Deno.rename(temps[i]!, join(out, name));
  } catch (err) {
    for (const tmp of temps) await Deno.remove(tmp).catch(() => {});
    throw new AetherflowError(`Cannot write units into ${out}: ${(err as Error).message}`, { cause: err });
  }
  for (const [name] of files) _out(`wrote ${join(out, name)}`);
}

/** The item lock, with a bad `--lock-dir` (a file, under a file) reported as one clean line. */
async function _tryLock(lockDir: string, itemId: string): Promise<{ release(): void } | null> {
  try {
    return await tryItemLock(lockDir, itemId);
  } catch (err) {
    const msg = `Cannot take the item lock in --lock-dir ${lockDir}: ${(err as Error).message}`;
    if (
      err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.NotADirectory ||
      err instanceof Deno.errors.IsADirectory
    ) throw new UsageError(msg, { cause: err });
    throw new AetherflowError(msg, { cause: err });
  }
}

async function _runLoop(config: SchedulerConfig, file: string, graceSeconds: number): Promise<number> {
  const logger = _logger();
  const base = config.pathsRelativeTo === "file" ? dirname(resolve(file)) : undefined;
  const scheduler = new Scheduler({
    config,
    selfCommand: selfCommand(currentSelfInfo()),
    clock: clockFromEnv(Deno.env),
    spawn: spawnChild,
    drainSleep: realSleep,
    graceMs: graceSeconds * 1000,
    resolvePath: base ? (p) => (isAbsolute(p) ? p : resolve(base, p)) : undefined,
    repairKilled: markKilledRun,
    log: {
      message: (level, text) => logger.log(level, SCHEDULER_LOGGER, text),
      event: (name, fields) => logger.event(SCHEDULER_LOGGER, name, fields),
      relay: (line) => _err(line),
    },
  });
  const onSignal = (sig: Deno.Signal) => () => scheduler.stop(sig);
  const onHup = () =>
    logger.log("WARNING", SCHEDULER_LOGGER, "SIGHUP ignored: restart the scheduler to reload its file");
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", onSignal("SIGTERM")],
    ["SIGINT", onSignal("SIGINT")],
    ["SIGHUP", onHup],
  ];
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  try {
    return await scheduler.run();
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
}

/** The fire child with inherited stdio (journald captures it); SIGTERM from systemd reaches the whole cgroup. */
async function _runInherit(argv: readonly string[]): Promise<number> {
  const [program, ...args] = argv;
  const status = await new Deno.Command(program as string, {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn().status;
  return status.code;
}

function _logger(): Logger {
  const masker = new Masker();
  masker.addFromSnapshot(Object.freeze(Deno.env.toObject()));
  return new Logger({
    format: (Deno.env.get("AETHERFLOW_LOG_FORMAT") ?? "").trim().toLowerCase() === "json" ? "json" : "text",
    level: parseLogLevel(Deno.env.get("AETHERFLOW_LOG_LEVEL")),
    mask: (s) => masker.mask(s),
    write: stderrLineWriter(),
  });
}

function _load(file: string) {
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
function _config(file: string): SchedulerConfig {
  const { report, shown } = _load(file);
  for (const i of report.warnings) _err(`! ${_where(i)}`);
  if (!report.config) {
    _err(`INVALID: ${shown}`);
    for (const i of report.errors) _err(`- ${_where(i)}`);
    throw new UsageError(`Invalid scheduler file ${shown}: ${report.errors.length} error(s)`, {
      code: report.errors[0]?.code ?? "scheduler:invalid",
    });
  }
  return report.config;
}

function _where(i: Issue): string {
  const pos = i.line !== undefined ? `${i.file ?? ""}:${i.line}:${i.col ?? 1} ` : "";
  return `${pos}${i.loc}: ${i.code} - ${i.msg}`;
}

/** `2025-03-30 03:00:00+02:00` in `tz`. */
function _localTime(t: number, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    }).formatToParts(new Date(t)).map((p) => [p.type, p.value]),
  );
  const offset = String(parts.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

function _positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/** `schedule next --count` bound: larger values only hang the terminal (every time is computed first). */
const _MAX_COUNT = 10_000;

function _count(value: string): number {
  const n = _positiveInt(value);
  if (n > _MAX_COUNT) throw new InvalidArgumentError(`expected at most ${_MAX_COUNT}`);
  return n;
}

function _nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

function _instant(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError("expected an ISO 8601 time");
  return t;
}

const _enc = new TextEncoder();

function _out(line: string): void {
  _writeAll(Deno.stdout, line + "\n");
}

function _err(line: string): void {
  _writeAll(Deno.stderr, line + "\n");
}

function _writeAll(w: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = _enc.encode(text);
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
