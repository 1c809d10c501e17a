// `aetherflow schedule systemd` (docs/scheduling.md "systemd timers"): check every item as its unit will run it
// (account, environment file, working directory, sandbox paths), then write the units all-or-nothing.
import { dirname, isAbsolute, join, resolve } from "node:path";
import { AetherflowError, errorMessage, UsageError } from "../engine/errors.ts";
import type { Issue } from "../engine/types.ts";
import {
  badUserName,
  DEFAULT_STOP_GRACE_S,
  NOTIFY_ON_FAILURE,
  NOTIFY_TEMPLATE_NAME,
  OnCalendarError,
  type PathNeed,
  type PathPlan,
  planUnitPaths,
  renderNotifyUnit,
  renderUnits,
  type SchedulerConfig,
  selfCommand,
  type UnitAccount,
  type UnitPair,
  UnitRenderError,
} from "../engine/scheduler/mod.ts";
import { currentSelfInfo } from "../engine/scheduler/effects.ts";
import { checkItem } from "./_schedule_items.ts";
import { notifyMailResource } from "./_schedule_notify.ts";
import { prepareFlow } from "../compose/mod.ts";
import {
  checkOutDir,
  errLine,
  issueLines,
  outLine,
  readEnvironmentFile,
  schedulerConfig,
  writeFilesAllOrNothing,
} from "./_schedule_io.ts";

export interface SystemdCliOptions {
  out: string;
  binary?: string;
  user?: boolean;
  workdir?: string;
  persistent?: boolean;
  randomizedDelaySec: number;
  timeoutS?: number;
  graceSeconds?: number;
  readWritePath?: string[];
  environmentFile?: string;
  runAs?: string;
  bundleWorkRoot?: string;
  notifyCommand?: string;
  /** `--notify-mail FLOW`: the notify template runs `schedule notify FLOW --resource R --to …`. */
  notifyMail?: string;
  notifyResource?: string;
  notifyTo?: string[];
}

/** The dynamic user's name when no `--run-as` is given (shared by every item: one UID while runs overlap). */
const _DYNAMIC_USER = "aetherflow";
/** Where a `deno run` command keeps its module cache inside system units (CacheDirectory=aetherflow). */
const _DENO_DIR = "/var/cache/aetherflow/deno";

interface _Unit {
  readonly index: number;
  readonly pair: UnitPair;
  readonly plan: PathPlan;
}

export async function scheduleSystemd(file: string, opts: SystemdCliOptions): Promise<void> {
  if (opts.user && opts.runAs !== undefined) {
    throw new UsageError("--run-as sets User= of system units; user units (--user) run as you: drop one");
  }
  if (opts.runAs !== undefined) {
    const bad = badUserName(opts.runAs);
    if (bad) throw new UsageError(`Invalid --run-as ${JSON.stringify(opts.runAs)}: ${bad}`);
  }
  _checkNotifyOptions(opts);
  await checkOutDir(opts.out);
  const config = schedulerConfig(file);
  const cwd = Deno.cwd();
  const source = resolve(cwd, file);
  const workdir = resolve(cwd, opts.workdir ?? cwd);
  const base = config.pathsRelativeTo === "file" ? dirname(source) : workdir;
  const resolvePath = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(base, p));
  const environmentFile = opts.environmentFile ? resolve(cwd, opts.environmentFile) : undefined;
  const userUnits = opts.user === true;
  // The unit's environment: what systemd sets (PATH) plus the EnvironmentFile; never this shell's.
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ...(environmentFile ? readEnvironmentFile(environmentFile) : {}),
  };
  const { command, environment: commandEnv, commandNeeds } = _command(opts, cwd, userUnits);
  const bundleWorkRoot = opts.bundleWorkRoot ? resolve(cwd, opts.bundleWorkRoot) : undefined;
  // The runs must sync bundles where the paths were planned: the work root goes into the units' environment.
  const environment = { ...commandEnv, ...(bundleWorkRoot ? { AETHERFLOW_WORK_ROOT: bundleWorkRoot } : {}) };
  if (bundleWorkRoot) env.AETHERFLOW_WORK_ROOT = bundleWorkRoot;
  const common: PathNeed[] = [
    ...commandNeeds,
    { path: workdir, access: "ro", why: "working directory" },
    ...(environmentFile ? [{ path: environmentFile, access: "ro" as const, why: "environment file" }] : []),
    ...(opts.readWritePath ?? []).map((p) => ({
      path: resolve(cwd, p),
      access: "rw" as const,
      why: "--read-write-path",
    })),
  ];
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const planned: { index: number; plan: PathPlan; stopGraceS: number }[] = [];
  for (const [index, item] of config.items.entries()) {
    const check = await checkItem(item, index, {
      resolvePath,
      env,
      cwd: workdir,
      file: source,
      bundleWorkRoot,
    });
    errors.push(...check.errors);
    warnings.push(...check.warnings);
    const plan = planUnitPaths([...common, ...check.needs], { userUnits });
    for (const problem of plan.problems) {
      errors.push(_itemIssue(config, index, source, "scheduler:unreachable_path", problem));
    }
    planned.push({
      index,
      plan,
      stopGraceS: Math.max(opts.graceSeconds ?? 0, check.stopGraceS ?? DEFAULT_STOP_GRACE_S),
    });
  }
  const account = _account(opts, planned, config, source, errors);
  const units: _Unit[] = [];
  for (const { index, plan, stopGraceS } of planned) {
    const item = config.items[index]!;
    try {
      units.push({
        index,
        plan,
        pair: renderUnits(item, {
          command,
          workdir,
          timezone: config.timezone,
          resolvePath,
          account,
          paths: plan,
          persistent: opts.persistent === true,
          randomizedDelaySec: opts.randomizedDelaySec,
          defaultTimeoutS: opts.timeoutS,
          stopGraceS,
          environmentFile,
          environment,
          onFailure: opts.notifyCommand !== undefined || opts.notifyMail !== undefined
            ? NOTIFY_ON_FAILURE
            : undefined,
          source,
        }),
      });
    } catch (err) {
      if (!(err instanceof OnCalendarError) && !(err instanceof UnitRenderError)) throw err;
      errors.push(
        _itemIssue(config, index, source, "scheduler:unit_render", `item ${item.id}: ${err.message}`),
      );
    }
  }
  errors.push(..._nameClashes(units, config, source));
  let notify: string | undefined;
  if (opts.notifyCommand !== undefined) {
    try {
      notify = renderNotifyUnit({ command: opts.notifyCommand, account, environmentFile, source });
    } catch (err) {
      if (!(err instanceof UnitRenderError)) throw err;
      throw new UsageError(`Invalid --notify-command: ${err.message}`);
    }
  }
  if (opts.notifyMail !== undefined) {
    const mail = await _notifyMail(opts, { env, cwd: workdir, resolvePath: (p) => resolve(cwd, p) });
    const plan = planUnitPaths([...common, mail.need], { userUnits });
    errors.push(
      ...[...mail.errors, ...plan.problems].map((msg) => ({
        code: "scheduler:notify_mail",
        loc: "--notify-mail",
        msg,
      })),
    );
    try {
      notify = renderNotifyUnit({
        argv: [...command, ...mail.args],
        account,
        workdir,
        environment,
        paths: plan,
        environmentFile,
        source,
      });
    } catch (err) {
      if (!(err instanceof UnitRenderError)) throw err;
      errors.push({ code: "scheduler:notify_mail", loc: "--notify-mail", msg: err.message });
    }
  }
  for (const line of issueLines(errors, warnings)) errLine(line);
  if (errors.length > 0) {
    throw new UsageError(
      `Cannot write units for ${source}: ${errors.length} problem(s) above (nothing written)`,
      { code: errors[0]?.code ?? "scheduler:invalid" },
    );
  }
  const files: [string, string][] = units.flatMap((u) => [
    [u.pair.serviceName, u.pair.service],
    [u.pair.timerName, u.pair.timer],
    [u.pair.manualServiceName, u.pair.manualService],
  ]);
  if (notify !== undefined) files.push([NOTIFY_TEMPLATE_NAME, notify]);
  await writeFilesAllOrNothing(opts.out, files);
  _printNextSteps(opts, units, account, userUnits);
}

function _checkNotifyOptions(opts: SystemdCliOptions): void {
  if (opts.notifyMail !== undefined && opts.notifyCommand !== undefined) {
    throw new UsageError("--notify-mail and --notify-command: choose one");
  }
  if (opts.notifyMail === undefined) {
    if (opts.notifyResource !== undefined || (opts.notifyTo ?? []).length > 0) {
      throw new UsageError("--notify-resource and --notify-to go with --notify-mail FLOW_YAML");
    }
    return;
  }
  if ((opts.notifyTo ?? []).length === 0) {
    throw new UsageError("--notify-mail needs --notify-to ADDRESS (repeatable)");
  }
}

/**
 * `--notify-mail FLOW`: the flow validates with the units' environment and names a mail resource (checked as
 * `schedule notify` will run it); returns the `schedule notify …` arguments and the flow file's path need.
 */
async function _notifyMail(
  opts: SystemdCliOptions,
  unit: { env: Record<string, string>; cwd: string; resolvePath: (p: string) => string },
): Promise<{ args: string[]; need: PathNeed; errors: string[] }> {
  const flow = unit.resolvePath(opts.notifyMail!);
  const need: PathNeed = { path: flow, access: "ro", why: "--notify-mail flow" };
  const errors: string[] = [];
  let resource = opts.notifyResource;
  try {
    const prepared = await prepareFlow(flow, { env: unit.env, cwd: unit.cwd, log: () => {} });
    try {
      const { report, masker } = prepared;
      if (!report.ok || !report.flow) {
        errors.push(...report.errors.map((i) => masker.mask(`${flow}: ${i.loc}: ${i.code} - ${i.msg}`)));
      } else {
        resource = notifyMailResource(prepared, opts.notifyResource);
      }
    } finally {
      await prepared.close();
    }
  } catch (err) {
    if (!(err instanceof AetherflowError)) throw err;
    errors.push(errorMessage(err));
  }
  const args = ["schedule", "notify", flow, ...(resource ? ["--resource", resource] : [])];
  for (const to of opts.notifyTo ?? []) args.push("--to", to);
  return { args, need, errors };
}

/** The ExecStart prefix, its environment and the paths it reads. */
function _command(
  opts: SystemdCliOptions,
  cwd: string,
  userUnits: boolean,
): { command: string[]; environment: Record<string, string>; commandNeeds: PathNeed[] } {
  if (opts.binary) {
    const binary = resolve(cwd, opts.binary);
    return {
      command: [binary],
      environment: {},
      commandNeeds: [{ path: binary, access: "ro" as const, why: "--binary" }],
    };
  }
  const info = currentSelfInfo();
  const command = selfCommand(info);
  if (info.standalone) {
    return {
      command,
      environment: {},
      commandNeeds: [{ path: command[0]!, access: "ro" as const, why: "aetherflow binary" }],
    };
  }
  // `deno run … cli/main.ts` from a checkout: deno needs a writable module cache of the unit user's own.
  errLine(
    `WARNING: no --binary: the units run '${command.slice(0, 2).join(" ")} … ${command.at(-1)}' from this ` +
      "checkout; install a compiled binary (deno task compile) and pass --binary for servers",
  );
  const needs: PathNeed[] = [
    { path: command[0]!, access: "ro", why: "deno binary" },
    { path: dirname(command.at(-1)!), access: "ro", why: "aetherflow sources" },
  ];
  if (userUnits) return { command, environment: {}, commandNeeds: needs };
  needs.push({ path: _DENO_DIR, access: "rw", why: "deno module cache" });
  return { command, environment: { DENO_DIR: _DENO_DIR }, commandNeeds: needs };
}

/**
 * Who the units run as: `--user` units run as their manager's user; `--run-as NAME` is an existing account;
 * otherwise `DynamicUser=yes`, possible only when every writable path is a systemd-managed directory.
 */
function _account(
  opts: SystemdCliOptions,
  planned: readonly { index: number; plan: PathPlan }[],
  config: SchedulerConfig,
  source: string,
  errors: Issue[],
): UnitAccount {
  if (opts.user) return { kind: "user-manager" };
  if (opts.runAs !== undefined) return { kind: "static", name: opts.runAs };
  for (const { index, plan } of planned) {
    if (plan.problems.length > 0 || plan.dynamicUserOk) continue;
    errors.push(
      _itemIssue(
        config,
        index,
        source,
        "scheduler:needs_account",
        `item ${config.items[index]?.id} writes ${
          plan.readWritePaths.join(", ")
        }, outside /var/lib, /var/cache and /var/log: units run with ` +
          "DynamicUser=yes unless --run-as names an account, and a dynamic user must only write directories " +
          "systemd manages for it; pass --run-as USER (an account that owns these paths) or move them under " +
          "/var/lib/aetherflow",
      ),
    );
  }
  return { kind: "dynamic", name: _DYNAMIC_USER };
}

/** Each item's `-now` service must not be another item's service (`a-now` next to `a`). */
function _nameClashes(units: readonly _Unit[], config: SchedulerConfig, source: string): Issue[] {
  const names = new Map(units.map((u) => [u.pair.serviceName, u.index]));
  return units.filter((u) => names.has(u.pair.manualServiceName)).map((u) =>
    _itemIssue(
      config,
      names.get(u.pair.manualServiceName)!,
      source,
      "scheduler:unit_name_clash",
      `the unit of item ${config.items[names.get(u.pair.manualServiceName)!]?.id} is named ` +
        `${u.pair.manualServiceName}, like the manual-run unit of item ${u.pair.itemId}; rename one of them`,
    )
  );
}

function _itemIssue(config: SchedulerConfig, index: number, file: string, code: string, msg: string): Issue {
  const item = config.items[index];
  const pos = item?.at?.item;
  return {
    code,
    loc: `items[${index}]`,
    msg,
    file,
    ...(pos ? { line: pos.line, col: pos.col } : {}),
  };
}

function _printNextSteps(
  opts: SystemdCliOptions,
  units: readonly _Unit[],
  account: UnitAccount,
  userUnits: boolean,
): void {
  if (units.length === 0) return;
  const owner = account.kind === "static" ? account.name : undefined;
  const dirs = [...new Set(units.flatMap((u) => u.plan.readWritePaths))];
  for (const d of dirs) outLine(`prepare: install -d -m 0700${owner ? ` -o ${owner}` : ""} ${d}`);
  const ctl = userUnits ? "systemctl --user" : "systemctl";
  outLine(
    `install: cp ${join(opts.out, "aetherflow-*")} ${
      userUnits ? "~/.config/systemd/user/" : "/etc/systemd/system/"
    }`,
  );
  outLine(
    `enable:  ${ctl} daemon-reload && ${ctl} enable --now ${units.map((u) => u.pair.timerName).join(" ")}`,
  );
  outLine(`run now: ${ctl} start ${units[0]!.pair.manualServiceName}`);
}
