/**
 * systemd `.service` + `.timer` generation per item (docs/scheduling.md "systemd timers") [D13]. Pure: paths,
 * binary, account and sandbox plan are inputs. The service runs `schedule fire`, the guard that gives the unit
 * the loop's misfire and overlap semantics and derives the run id from the timer slot; a second service per
 * item (`aetherflow-<id>-now.service`) runs the item at once with a manual run id.
 *
 * Every value is escaped for the field it lands in (`%` specifiers everywhere, `$` in command lines, quoting
 * in lists) and a value that could still break a line is refused.
 * @module
 */
import type { ScheduleItem } from "./parse_scheduler_yaml.ts";
import { DEFAULT_TIMEOUT_S } from "./parse_scheduler_yaml.ts";
import { cronToOnCalendar } from "./oncalendar.ts";
import { runArgs } from "./run_args.ts";
import type { PathPlan } from "./unit_paths.ts";

/** Who the service runs as. */
export type UnitAccount =
  /** `DynamicUser=yes` + `User=<name>`: a transient UID, only systemd-managed directories writable. */
  | { readonly kind: "dynamic"; readonly name: string }
  /** `User=<name>`: an existing account that owns the `ReadWritePaths=`. */
  | { readonly kind: "static"; readonly name: string }
  /** User-manager units (`systemctl --user`): no `User=`. */
  | { readonly kind: "user-manager" };

export interface UnitOptions {
  /** argv prefix that starts aetherflow (`--binary`, or the self command). First element absolute. */
  readonly command: readonly string[];
  /** Absolute `WorkingDirectory=`. */
  readonly workdir: string;
  readonly timezone: string;
  /** Maps an item path to an absolute path. */
  readonly resolvePath: (p: string) => string;
  readonly account: UnitAccount;
  /** Writable directories of this item (see unit_paths.ts). */
  readonly paths: PathPlan;
  readonly persistent?: boolean;
  /** `RandomizedDelaySec=` seconds (default 0). */
  readonly randomizedDelaySec?: number;
  /** `TimeoutStartSec=` for items without `timeout` (seconds; default `DEFAULT_TIMEOUT_S`). */
  readonly defaultTimeoutS?: number;
  /** Seconds the run needs to stop after SIGTERM (its steps' kill grace); `TimeoutStopSec=` adds a margin. */
  readonly stopGraceS?: number;
  readonly environmentFile?: string;
  /** `Environment=` pairs (e.g. `DENO_DIR` for a `deno run` command). */
  readonly environment?: Readonly<Record<string, string>>;
  /** `OnFailure=` unit (the notify template instance), when failure notification is set up. */
  readonly onFailure?: string;
  /** Shown in the header comment. */
  readonly source?: string;
}

export interface UnitPair {
  readonly itemId: string;
  readonly serviceName: string;
  readonly timerName: string;
  /** The service that runs the item now (`systemctl start`), with a manual run id. */
  readonly manualServiceName: string;
  readonly service: string;
  readonly timer: string;
  readonly manualService: string;
  readonly onCalendar: readonly string[];
}

/** A value that would break a unit file line (or inject a directive) cannot be rendered. */
export class UnitRenderError extends Error {
  override name = "UnitRenderError";
}

/** Margin added to the stop grace for `TimeoutStopSec=`: the run records its state after its steps stopped. */
export const STOP_MARGIN_S = 10;
/** Default stop grace: the runner's default `kill_grace_seconds` (15 s) plus time to record the run. */
export const DEFAULT_STOP_GRACE_S = 20;
/** Name of the lock directory below the runtime dir (`%t`), created 0700 by `RuntimeDirectory=`. */
export const LOCK_DIR_NAME = "aetherflow";

// deno-lint-ignore no-control-regex
const _CONTROL_REGEXP = /[\u0000-\u001f\u007f]/;
const _PLAIN_REGEXP = /^[A-Za-z0-9_@+=:,.\/-]+$/;
const _UNIT_CHAR_REGEXP = /[A-Za-z0-9:_\-]/;
/** POSIX-ish user names (useradd's default rule); systemd refuses anything stranger. */
const _USER_REGEXP = /^[a-z_][a-z0-9_-]{0,30}$/;
const _ENV_NAME_REGEXP = /^[A-Za-z_][A-Za-z0-9_]*$/;
const _ENCODER = new TextEncoder();

/** `aetherflow-<id>` with characters outside `[A-Za-z0-9:_.-]` escaped as `\xNN` (systemd-escape style). */
export function unitBaseName(itemId: string): string {
  let out = "";
  for (const [i, ch] of [...itemId].entries()) {
    const ok = _UNIT_CHAR_REGEXP.test(ch) || (ch === "." && i > 0);
    out += ok ? ch : [..._ENCODER.encode(ch)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
  }
  return `aetherflow-${out}`;
}

/** Why `name` cannot be a `User=`, or undefined. */
export function badUserName(name: string): string | undefined {
  return _USER_REGEXP.test(name)
    ? undefined
    : "use a user name of lower-case letters, digits, '_' and '-' (at most 31 characters, not starting with a digit)";
}

/**
 * Render the units of one item.
 * @throws OnCalendarError when the cron cannot be expressed (never fires)
 * @throws UnitRenderError when a value contains a control character or cannot be written safely
 */
export function renderUnits(item: ScheduleItem, options: UnitOptions): UnitPair {
  _checkValues(item, options);
  const onCalendar = cronToOnCalendar(item.spec, options.timezone);
  const base = unitBaseName(item.id);
  const userUnits = options.account.kind === "user-manager";
  const run = runArgs(item, options.resolvePath).map(execWord);
  const guard = [
    ...options.command.map(execWord),
    "schedule",
    "fire",
    "--item",
    execWord(item.id),
    "--cron",
    execWord(item.cron),
    "--tz",
    execWord(options.timezone),
    "--grace",
    String(item.misfireGraceTime),
    // %t = the runtime dir (/run or $XDG_RUNTIME_DIR); RuntimeDirectory= creates it 0700 for the unit user.
    "--lock-dir",
    `%t/${LOCK_DIR_NAME}`,
    "--",
    ...run,
  ].join(" ");
  const manual = [
    ...options.command.map(execWord),
    "schedule",
    "fire",
    "--now",
    execWord(item.id),
    "--lock-dir",
    `%t/${LOCK_DIR_NAME}`,
    "--",
    ...run,
  ].join(" ");
  const header = (what: string) =>
    `# Generated by aetherflow schedule systemd${options.source ? ` from ${options.source}` : ""}` +
    ` (${what} of item ${item.id}, cron '${item.cron}', ${options.timezone}). Regenerate instead of editing.`;
  const timeout = item.timeoutS ?? options.defaultTimeoutS ?? DEFAULT_TIMEOUT_S;
  const service = (description: string, exec: string, what: string) =>
    [
      header(what),
      "[Unit]",
      `Description=${unitText(description)}`,
      ...(userUnits ? [] : ["Wants=network-online.target", "After=network-online.target"]),
      ...(options.onFailure ? [`OnFailure=${options.onFailure}`] : []),
      "",
      "[Service]",
      "Type=oneshot",
      ...accountLines(options.account),
      `WorkingDirectory=${unitText(options.workdir)}`,
      ...(options.environmentFile ? [`EnvironmentFile=${unitText(options.environmentFile)}`] : []),
      ...Object.entries(options.environment ?? {}).map(([k, v]) => `Environment=${listWord(`${k}=${v}`)}`),
      `ExecStart=${exec}`,
      // Never infinity: a hung run would hold the item (every later slot skipped as an overlap) forever.
      `TimeoutStartSec=${timeout}`,
      // SIGTERM to `schedule fire` only, which forwards it to the run; the run stops its steps within their
      // kill grace and records the outcome; whatever is left after TimeoutStopSec= gets SIGKILL.
      "KillMode=mixed",
      `TimeoutStopSec=${(options.stopGraceS ?? DEFAULT_STOP_GRACE_S) + STOP_MARGIN_S}`,
      `SyslogIdentifier=${base}`,
      ...execDirectoryLines(options.paths),
      ...(options.paths.readWritePaths.length > 0
        ? [`ReadWritePaths=${options.paths.readWritePaths.map(listWord).join(" ")}`]
        : []),
      ...hardeningLines(userUnits),
      "",
    ].join("\n");
  const timer = [
    header("timer"),
    "[Unit]",
    `Description=${unitText(`Timer for aetherflow scheduled item ${item.id}`)}`,
    "",
    "[Timer]",
    ...onCalendar.map((s) => `OnCalendar=${s}`),
    "AccuracySec=1s",
    `RandomizedDelaySec=${options.randomizedDelaySec ?? 0}`,
    `Persistent=${options.persistent ? "true" : "false"}`,
    `Unit=${base}.service`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return {
    itemId: item.id,
    serviceName: `${base}.service`,
    timerName: `${base}.timer`,
    manualServiceName: `${base}-now.service`,
    service: service(`aetherflow scheduled item ${item.id}`, guard, "service"),
    timer,
    manualService: service(`aetherflow item ${item.id}, run now`, manual, "manual run"),
    onCalendar,
  };
}

/** `DynamicUser=`/`User=` lines of `account`. */
export function accountLines(account: UnitAccount): string[] {
  switch (account.kind) {
    case "dynamic":
      return ["DynamicUser=yes", `User=${unitText(account.name)}`];
    case "static":
      return [`User=${unitText(account.name)}`];
    default:
      return [];
  }
}

/** `StateDirectory=`/`CacheDirectory=`/`LogsDirectory=` of `paths`, and the lock dir unless `locks: false`. */
export function execDirectoryLines(paths: PathPlan, options: { locks?: boolean } = {}): string[] {
  const lines: string[] = [];
  if (paths.stateDirectories.length > 0) {
    lines.push(
      `StateDirectory=${paths.stateDirectories.map(listWord).join(" ")}`,
      "StateDirectoryMode=0700",
    );
  }
  if (paths.cacheDirectories.length > 0) {
    lines.push(
      `CacheDirectory=${paths.cacheDirectories.map(listWord).join(" ")}`,
      "CacheDirectoryMode=0700",
    );
  }
  if (paths.logsDirectories.length > 0) {
    lines.push(`LogsDirectory=${paths.logsDirectories.map(listWord).join(" ")}`, "LogsDirectoryMode=0700");
  }
  if (options.locks === false) return lines;
  // The item locks (`schedule fire --lock-dir %t/aetherflow`): private to the unit user, kept between runs so a
  // manual run and a timer run of the same item see the same lock file.
  lines.push(
    `RuntimeDirectory=${LOCK_DIR_NAME}`,
    "RuntimeDirectoryMode=0700",
    "RuntimeDirectoryPreserve=yes",
  );
  return lines;
}

/**
 * The sandbox (docs/scheduling.md "Hardening"). What a workflow runner cannot give up stays: the network
 * (connectors), writable-executable memory (V8's JIT), the process syscalls child steps need.
 */
export function hardeningLines(userUnits: boolean): string[] {
  const common = [
    "UMask=0077",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictRealtime=yes",
  ];
  if (userUnits) return common; // a user manager cannot set up the rest without extra privileges
  return [
    ...common,
    "ProtectHome=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectProc=invisible",
    "RestrictNamespaces=yes",
    "RemoveIPC=yes",
    "KeyringMode=private",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "SystemCallArchitectures=native",
    // @pkey: V8 probes memory protection keys; EPERM instead of a kill for anything outside the set.
    "SystemCallFilter=@system-service @pkey",
    "SystemCallFilter=~@privileged",
    "SystemCallErrorNumber=EPERM",
  ];
}

/** A free-text or single-path value: `%` escaped (specifier expansion); must not start/end with blanks. */
export function unitText(value: string): string {
  return value.replaceAll("%", "%%");
}

/** One ExecStart word: `%` and `$` escaped (specifiers, env expansion), quoted when needed. */
export function execWord(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (_PLAIN_REGEXP.test(word) && word !== "") return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** One word of a space-separated list setting (paths, `Environment=`): `%` escaped, quoted when needed. */
export function listWord(word: string): string {
  const escaped = word.replaceAll("%", "%%");
  if (_PLAIN_REGEXP.test(word) && word !== "") return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function _checkValues(item: ScheduleItem, options: UnitOptions): void {
  const values: [string, string | undefined][] = [
    ["item id", item.id],
    ["cron", item.cron],
    ["timezone", options.timezone],
    ["working directory", options.workdir],
    ["EnvironmentFile", options.environmentFile],
    ["source path", options.source],
    ["OnFailure", options.onFailure],
    ...options.command.map((c): [string, string] => ["command", c]),
    ...options.paths.readWritePaths.map((p): [string, string] => ["ReadWritePaths", p]),
    ...Object.entries(options.environment ?? {}).map(([k, v]): [string, string] => [`Environment ${k}`, v]),
    ...runArgs(item, options.resolvePath).map((a): [string, string] => ["run argument", a]),
  ];
  if (options.account.kind !== "user-manager") values.push(["User", options.account.name]);
  for (const [what, value] of values) {
    if (value !== undefined && _CONTROL_REGEXP.test(value)) {
      throw new UnitRenderError(`${what} ${JSON.stringify(value)} contains a control character`);
    }
  }
  // Single-value settings keep the raw rest of the line: systemd trims it and a final `\` continues the line.
  for (
    const [what, value] of [["working directory", options.workdir], [
      "EnvironmentFile",
      options.environmentFile,
    ]]
  ) {
    if (value !== undefined && (value.trim() !== value || value.endsWith("\\"))) {
      throw new UnitRenderError(
        `${what} ${JSON.stringify(value)} starts or ends with a blank or a backslash`,
      );
    }
  }
  if (options.account.kind !== "user-manager") {
    const bad = badUserName(options.account.name);
    if (bad) throw new UnitRenderError(`User ${JSON.stringify(options.account.name)}: ${bad}`);
  }
  for (const key of Object.keys(options.environment ?? {})) {
    if (!_ENV_NAME_REGEXP.test(key)) {
      throw new UnitRenderError(`Environment name ${JSON.stringify(key)} is invalid`);
    }
  }
}
