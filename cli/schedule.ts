// `aetherflow schedule validate|next|run|systemd|fire` (docs/scheduling.md) [D13].
// Exit codes: 0 ok, 2 invalid input (nothing runs), 1 runtime error; `fire` also 75 (asked to run, ran nothing).
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { dirname, isAbsolute, resolve } from "node:path";
import { AetherflowError, errorMessage, EXIT, type ExitCode, UsageError } from "../engine/errors.ts";
import type { FireClaims } from "../engine/scheduler/fire_claims.ts";
import type { Issue } from "../engine/types.ts";
import { Masker } from "../engine/config/mod.ts";
import { Logger, parseLogLevel } from "../engine/observe/mod.ts";
import {
  CronError,
  type GuardEffects,
  markKilledIn,
  markKilledRun,
  nextFires,
  parseCron,
  parseDurationSeconds,
  runFireGuard,
  runNow,
  Scheduler,
  SCHEDULER_LOGGER,
  type SchedulerConfig,
  selfCommand,
  slotOfRunId,
  timeZoneProblem,
  unsafeItemId,
} from "../engine/scheduler/mod.ts";
import {
  clockFromEnv,
  currentSelfInfo,
  defaultLockDir,
  LockDirError,
  realSleep,
  spawnChild,
  tryItemLock,
} from "../engine/scheduler/effects.ts";
import { setExitCode } from "./_exit.ts";
import { checkItem } from "./_schedule_items.ts";
import {
  errLine,
  issueLines,
  loadSchedulerFile,
  outLine,
  readEnvironmentFile,
  schedulerConfig,
} from "./_schedule_io.ts";
import { stderrLineWriter } from "./_stderr_log.ts";
import { collect, ENV_FILE_HELP } from "./_env_help.ts";

export function registerSchedule(program: Command): void {
  const schedule = program.command("schedule").description(
    "Cron scheduler, systemd timer units and Kubernetes CronJobs",
  );

  schedule.command("validate")
    .description("Validate a scheduler.yaml and every item's flow (exit 0 ok, 2 invalid)")
    .argument("<scheduler_yaml>")
    .option("--json", "print the report as one JSON line")
    .option(
      "--environment-file <path>",
      "check the flows with this systemd EnvironmentFile instead of the current environment (as units run)",
    )
    .action(async (file, opts) => {
      const { report, shown } = loadSchedulerFile(file);
      const errors = [...report.errors];
      const warnings = [...report.warnings];
      if (report.config) {
        const items = await _checkItems(report.config, file, opts.environmentFile);
        errors.push(...items.errors);
        warnings.push(...items.warnings);
      }
      const ok = errors.length === 0;
      if (opts.json) {
        outLine(JSON.stringify({ ok, errors, warnings, scheduler_yaml: shown }));
      } else {
        outLine(`${ok ? "OK" : "INVALID"}: ${shown}`);
        for (const line of issueLines(errors, warnings)) outLine(line);
      }
      setExitCode(ok ? EXIT.OK : EXIT.INVALID);
    });

  schedule.command("next").description("Next fire times per item, in the file's time zone and in UTC")
    .argument("<scheduler_yaml>")
    .option("--count <n>", `fire times per item (1..${_MAX_COUNT})`, _count, 5)
    .option("--from <time>", "compute from this instant (ISO 8601) instead of now", _instant)
    .option("--json", "print one JSON line")
    .action((file, opts) => {
      const config = schedulerConfig(file);
      const from = opts.from ?? Date.now();
      const items = config.items.map((item) => ({
        id: item.id,
        cron: item.cron,
        timezone: config.timezone,
        next: nextFires(item.spec, config.timezone, from, opts.count).map((t) => ({
          local: _localTime(t, config.timezone),
          utc: new Date(t).toISOString(),
          utc_ms: t,
        })),
      }));
      // One JSON style (docs/cli.md "JSON output"): `ok` first, ISO times with milliseconds plus `*_ms`.
      if (opts.json) return outLine(JSON.stringify({ ok: true, items }));
      for (const item of items) {
        outLine(`${item.id}  ${item.cron}  (${item.timezone})`);
        for (const n of item.next) outLine(`  ${n.local}  ${n.utc.replace(".000Z", "Z")}`);
      }
    });

  schedule.command("run").description("Run the scheduler in the foreground until SIGTERM/SIGINT")
    .argument("<scheduler_yaml>")
    .option("--grace-seconds <n>", "drain time for running children on shutdown", _nonNegativeInt, 30)
    .option(
      "--state <location>",
      "claim each slot in this shared state (postgres://… or sqlite:<path>; default: the setting state_url, if set)",
    )
    .action(async (file, opts) => {
      const config = schedulerConfig(file);
      setExitCode(await _runLoop(config, file, opts.graceSeconds, opts.state) === 0 ? EXIT.OK : EXIT.FAILED);
    });

  schedule.command("systemd").description("Write hardened .service/.timer units per item (checked first)")
    .argument("<scheduler_yaml>")
    .requiredOption("--out <dir>", "directory for the unit files")
    .option("--binary <path>", "aetherflow executable for ExecStart (default: this program)")
    .option("--user", "user units (systemctl --user) instead of system units")
    .option("--run-as <user>", "User= of system units: an existing account (default: DynamicUser=yes)")
    .option("--workdir <dir>", "WorkingDirectory= (default: the current directory)")
    .option(
      "--persistent",
      "Persistent=true (a missed elapse fires at boot, still bounded by the grace guard)",
    )
    .option("--randomized-delay-sec <n>", "RandomizedDelaySec=", _nonNegativeInt, 0)
    .option(
      "--timeout-start-sec <duration>",
      "TimeoutStartSec= of items without 'timeout' (seconds, or 90m, 6h; default 6h)",
      _duration,
    )
    .option("--grace-seconds <n>", "least stop grace (TimeoutStopSec= adds 10 s)", _nonNegativeInt)
    .option("--read-write-path <dir...>", "more writable paths (ReadWritePaths= or a systemd-managed dir)")
    .option("--environment-file <path>", "EnvironmentFile= (read here too: the flows are checked with it)")
    .option(
      "--bundle-work-root <dir>",
      "work root of bundle items (default: AETHERFLOW_WORK_ROOT of the unit)",
    )
    .option("--notify-command <shell>", "on failure, run this command (aetherflow-notify@.service)")
    .option(
      "--notify-mail <flow_yaml>",
      "on failure, mail through this flow's mail resource (schedule notify)",
    )
    .option(
      "--notify-resource <name>",
      "with --notify-mail: the mail resource (default: the flow's only one)",
    )
    .option("--notify-to <address>", "with --notify-mail: a recipient (repeatable)", collect, [] as string[])
    .action(async (file, opts) => {
      const { scheduleSystemd } = await import("./_schedule_systemd.ts");
      await scheduleSystemd(file, { ...opts, timeoutS: opts.timeoutStartSec });
    });

  schedule.command("notify")
    .description("Mail that a unit failed, through a flow's mail resource (what --notify-mail units run)")
    .argument("<flow_yaml>", "a flow declaring the mail resource (kind: mail)")
    .requiredOption("--to <address>", "recipient (repeatable)", collect, [] as string[])
    .option("--resource <name>", "the mail resource (default: the flow's only one)")
    .option("--unit <name>", "the failed unit (default: $AETHERFLOW_FAILED_UNIT, set by aetherflow-notify@)")
    .option("--env-file <path>", ENV_FILE_HELP, collect, [] as string[])
    .addHelpText(
      "after",
      `
Exit codes: 0 sent, 1 the send failed, 2 invalid input. Nothing is run or written.

Examples:
  aetherflow schedule notify /srv/etl/flows/notify.yaml --to ops@example.com --unit aetherflow-nightly.service`,
    )
    .action(async (flow, opts) => {
      const { scheduleNotify } = await import("./_schedule_notify.ts");
      setExitCode(await scheduleNotify(flow, opts));
    });

  schedule.command("k8s").description("Write one Kubernetes batch/v1 CronJob manifest per item")
    .argument("<scheduler_yaml>")
    .requiredOption("--out <dir>", "directory for the manifests (<name>.yaml)")
    .requiredOption("--image <image>", "container image with aetherflow and the flows")
    .option("--namespace <ns>", "metadata.namespace of every CronJob")
    .option("--binary <path>", "aetherflow inside the image (default: aetherflow on PATH)")
    .option("--workdir <dir>", "workingDir of the container (relative item paths start there)")
    .option("--env-from-secret <name...>", "envFrom secretRef (e.g. the Secret holding AETHERFLOW_STATE_URL)")
    .option("--env-from-config-map <name...>", "envFrom configMapRef")
    .option("--service-account <name>", "serviceAccountName of the pods")
    .option(
      "--timeout <duration>",
      "activeDeadlineSeconds of items without 'timeout' (seconds, or 90m, 6h; default 6h)",
      _duration,
    )
    .option(
      "--grace-seconds <n>",
      "stop grace of a run (terminationGracePeriodSeconds adds 10 s)",
      _nonNegativeInt,
    )
    .addHelpText(
      "after",
      `
Each pod runs 'aetherflow schedule fire' (run id <item>-<slot UTC> from the scheduled slot, as with systemd).
concurrencyPolicy: Forbid skips a slot while the previous run goes on; startingDeadlineSeconds is the item's
misfire grace. Share state between pods with flow.state.backend: postgres (docs/fleet.md).

Example:
  aetherflow schedule k8s scheduler.yaml --image registry.example/etl:1.4 --out k8s/ \\
    --env-from-secret aetherflow-state --workdir /app`,
    )
    .action(async (file, opts) => {
      const { scheduleK8s } = await import("./_schedule_k8s.ts");
      await scheduleK8s(file, { ...opts, timeoutS: opts.timeout });
    });

  schedule.command("fire")
    .description("Guard run by generated units: run the item's current slot once (--item), or now (--now)")
    .option("--item <id>", "item id: run the latest slot if within the grace (needs --cron and --tz)")
    .option("--now <id>", "item id: run now with a manual run id <id>-manual-<UTC time>")
    .option("--cron <expr>", "the item's cron expression")
    .option("--tz <zone>", "IANA time zone")
    .option("--grace <seconds>", "misfire grace time", _positiveInt, 300)
    .option(
      "--lock-dir <dir>",
      "private directory of per-item lock files (default $XDG_RUNTIME_DIR/aetherflow)",
    )
    .argument("<command...>", "after --: `run` and its arguments")
    .action(async (command, opts) => {
      setExitCode(await _fire(command, opts));
    });
}

interface _FireOptions {
  item?: string;
  now?: string;
  cron?: string;
  tz?: string;
  grace: number;
  lockDir?: string;
}

async function _fire(command: string[], opts: _FireOptions): Promise<ExitCode> {
  if ((opts.item === undefined) === (opts.now === undefined)) {
    throw new UsageError("schedule fire needs exactly one of --item <id> (the current slot) or --now <id>");
  }
  const itemId = (opts.item ?? opts.now) as string;
  const badId = unsafeItemId(itemId);
  if (badId !== undefined) {
    throw new UsageError(
      `Invalid ${opts.item !== undefined ? "--item" : "--now"} ${JSON.stringify(itemId)}: ${badId}`,
    );
  }
  if (command[0] !== "run") {
    throw new UsageError(`schedule fire runs 'run …' after --, got '${command[0]}'`);
  }
  const lockDir = opts.lockDir ?? defaultLockDir();
  if (lockDir === null) {
    throw new UsageError(
      "No lock directory: XDG_RUNTIME_DIR is not set; pass --lock-dir with a private directory " +
        "(generated units use %t/aetherflow)",
    );
  }
  const logger = _logger();
  const fx: GuardEffects = {
    now: () => Date.now(),
    tryLock: (id) => _tryLock(lockDir, id),
    run: (argv) => _runInherit(argv),
    message: (level, text) => logger.log(level, SCHEDULER_LOGGER, text),
  };
  const argv = [...selfCommand(currentSelfInfo()), ...command];
  let rc: number;
  if (opts.now !== undefined) {
    rc = await runNow({ itemId, command: argv }, fx);
  } else {
    if (opts.cron === undefined || opts.tz === undefined) {
      throw new UsageError("--item needs --cron and --tz");
    }
    let spec;
    try {
      spec = parseCron(opts.cron);
    } catch (err) {
      if (err instanceof CronError) throw new UsageError(`Invalid cron '${opts.cron}': ${err.message}`);
      throw err;
    }
    const zone = timeZoneProblem(opts.tz);
    if (zone) throw new UsageError(zone.msg);
    // systemd sets TRIGGER_UNIT when a timer started the service; without it someone started it by hand.
    const trigger = (Deno.env.get("TRIGGER_UNIT") ?? "") === "" ? "manual" : "timer";
    const shared = await _sharedState(undefined);
    try {
      if (shared) fx.run = _claimedRun(itemId, shared.fires, fx);
      rc = await runFireGuard({ itemId, spec, tz: opts.tz, graceS: opts.grace, command: argv, trigger }, fx);
    } finally {
      await shared?.backend.close();
    }
  }
  return rc === 0 ? EXIT.OK : rc === EXIT.NOT_RUN ? EXIT.NOT_RUN : rc === 2 ? EXIT.INVALID : EXIT.FAILED;
}

/**
 * With a shared state (the setting `state_url`), the guard's run claims its slot first (docs/fleet.md "Exactly
 * once"): timers on several hosts fire the same slot, one host runs it, the others skip it (exit 0).
 */
function _claimedRun(itemId: string, fires: FireClaims, fx: GuardEffects): GuardEffects["run"] {
  return async (argv) => {
    const runId = argv[argv.indexOf("--run-id") + 1] ?? "";
    const slot = slotOfRunId(itemId, runId);
    if (slot === null) return await _runInherit(argv);
    const res = await fires.claim(itemId, slot, runId);
    if (res.kind === "overlap") {
      // The open earlier slot may be a dead guard's (its claim expired, its run holds no lease): resume that run
      // instead, or every later slot would find it open.
      const taken = await fires.takeOver([itemId]);
      if (taken !== null) {
        fx.message(
          "WARNING",
          `Resuming run ${taken.runId} of item ${itemId}: its scheduler stopped renewing it`,
        );
        const resumeArgv = argv.map((a, i) => (i > 0 && argv[i - 1] === "--run-id" ? taken.runId : a));
        return await _runClaimed(fires, itemId, taken.slotMs, resumeArgv);
      }
    }
    if (res.kind !== "claimed") {
      fx.message(
        res.kind === "taken" ? "INFO" : "WARNING",
        res.kind === "taken"
          ? `Run ${runId} of item ${itemId} was started by host ${res.host}; nothing to do here`
          : `Execution of item ${itemId} skipped: an earlier run is still going on host ${res.host}`,
      );
      return 0;
    }
    return await _runClaimed(
      fires,
      itemId,
      slot,
      argv,
      (err) => fx.message("ERROR", `Could not record the end of ${runId}: ${errorMessage(err)}`),
    );
  };
}

/** Run a claimed slot, renewing the claim meanwhile, then record its exit code. */
async function _runClaimed(
  fires: FireClaims,
  itemId: string,
  slot: number,
  argv: readonly string[],
  onRecordError: (err: unknown) => void = () => {},
): Promise<number> {
  const renew = setInterval(
    () => void fires.renew(itemId, slot).catch(() => {}),
    fires.ttlSeconds * 1000 / 3,
  );
  let rc: number;
  try {
    rc = await _runInherit(argv);
  } finally {
    clearInterval(renew);
  }
  await fires.finish(itemId, slot, rc).catch(onRecordError);
  return rc;
}

/** Every item's flow, checked with the environment its runs get (this one, or an EnvironmentFile). */
async function _checkItems(config: SchedulerConfig, file: string, environmentFile: string | undefined) {
  const cwd = Deno.cwd();
  const base = config.pathsRelativeTo === "file" ? dirname(resolve(cwd, file)) : cwd;
  const env = environmentFile
    ? { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...readEnvironmentFile(resolve(cwd, environmentFile)) }
    : Deno.env.toObject();
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  for (const [i, item] of config.items.entries()) {
    const check = await checkItem(item, i, {
      resolvePath: (p) => (isAbsolute(p) ? p : resolve(base, p)),
      env,
      cwd,
      file,
    });
    errors.push(...check.errors);
    warnings.push(...check.warnings);
  }
  return { errors, warnings };
}

/** The item lock, with a bad `--lock-dir` (a file, under a file, not private) reported as one clean line. */
async function _tryLock(lockDir: string, itemId: string): Promise<{ release(): void } | null> {
  try {
    return await tryItemLock(lockDir, itemId);
  } catch (err) {
    const msg = `Cannot take the item lock in --lock-dir ${lockDir}: ${(err as Error).message}`;
    if (
      err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.NotADirectory ||
      err instanceof Deno.errors.IsADirectory || err instanceof LockDirError
    ) throw new UsageError(msg, { cause: err });
    throw new AetherflowError(msg, { cause: err });
  }
}

async function _runLoop(
  config: SchedulerConfig,
  file: string,
  graceSeconds: number,
  stateArg: string | undefined,
): Promise<number> {
  const logger = _logger();
  const shared = await _sharedState(stateArg);
  try {
    return await _loop(config, file, graceSeconds, logger, shared);
  } finally {
    await shared?.backend.close();
  }
}

/**
 * The state whose fire rows the scheduler claims (docs/fleet.md "Exactly once"): `--state`, else the setting
 * `state_url`; none: this scheduler alone decides (one host).
 */
async function _sharedState(stateArg: string | undefined) {
  const [{ buildSnapshot, loadSettings }, state] = await Promise.all([
    import("../engine/config/mod.ts"),
    import("../engine/state/mod.ts"),
  ]);
  const settings = loadSettings(buildSnapshot());
  const text = stateArg ?? settings.state_url ?? undefined;
  if (text === undefined || text.trim() === "") return undefined;
  const target = state.parseStateLocator(text, Deno.cwd());
  const backend = await state.openStateBackend(target);
  const { backendFireClaims } = await import("../engine/scheduler/fire_claims.ts");
  return { backend, fires: backendFireClaims(backend, settings.lease_seconds) };
}

async function _loop(
  config: SchedulerConfig,
  file: string,
  graceSeconds: number,
  logger: Logger,
  shared: Awaited<ReturnType<typeof _sharedState>>,
): Promise<number> {
  if (shared) {
    logger.log(
      "INFO",
      SCHEDULER_LOGGER,
      `Claiming slots in ${shared.backend.path} as host ${shared.backend.host}`,
    );
  }
  const base = config.pathsRelativeTo === "file" ? dirname(resolve(file)) : undefined;
  const scheduler = new Scheduler({
    config,
    selfCommand: selfCommand(currentSelfInfo()),
    clock: clockFromEnv(Deno.env),
    spawn: spawnChild,
    drainSleep: realSleep,
    timeoutSleep: realSleep,
    graceMs: graceSeconds * 1000,
    resolvePath: base ? (p) => (isAbsolute(p) ? p : resolve(base, p)) : undefined,
    // A run on the scheduler's own shared state is repaired there (run_start shows its URL without password).
    repairKilled: (runId, statePath, error) =>
      shared && statePath === shared.backend.path
        ? markKilledIn(shared.backend, runId, error)
        : markKilledRun(runId, statePath, error),
    fires: shared?.fires,
    log: {
      message: (level, text) => logger.log(level, SCHEDULER_LOGGER, text),
      event: (name, fields) => logger.event(SCHEDULER_LOGGER, name, fields),
      relay: (line) => errLine(line),
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

/**
 * The fire child with inherited stdio (journald captures it). systemd stops the unit with SIGTERM to this
 * process only (KillMode=mixed): it is forwarded, so the run stops its steps within their grace and records
 * the outcome; SIGKILL for the rest comes after TimeoutStopSec=. SIGINT from a terminal reaches the child
 * directly (same process group), so it is not forwarded twice.
 */
async function _runInherit(argv: readonly string[]): Promise<number> {
  const [program, ...args] = argv;
  const child = new Deno.Command(program as string, {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  const ignore = () => {};
  Deno.addSignalListener("SIGTERM", forward);
  Deno.addSignalListener("SIGINT", ignore);
  try {
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGTERM", forward);
    Deno.removeSignalListener("SIGINT", ignore);
  }
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

function _duration(value: string): number {
  const n = parseDurationSeconds(value);
  if (value.trim().toLowerCase() === "infinity") {
    throw new InvalidArgumentError(
      "must be finite: a hung run would hold the item and skip every later slot",
    );
  }
  if (n === undefined || n < 1) {
    throw new InvalidArgumentError("expected seconds (3600) or a span such as 90m or 6h");
  }
  return n;
}
