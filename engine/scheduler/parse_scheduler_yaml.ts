/**
 * `scheduler.yaml` (docs/scheduling.md B.2): loading and validation with line:col, before anything runs.
 * Unknown keys at both levels are errors with a "did you mean" hint [D6]; duplicate ids, bad crons, crons that
 * never fire and unknown IANA zones are errors too (upstream failed only when the scheduler started). Every
 * problem is reported at once [D9].
 * @module
 */
import { loadYaml, type PathSegment } from "../flow/load_yaml.ts";
import type { Issue } from "../types.ts";
import { CronError, cronNeverFires, type CronSpec, numericDowWarnings, parseCron } from "./cron.ts";
import { timeZoneProblem } from "./_zone.ts";
import { dstWarnings } from "./dst.ts";
import { extraKeyMessage } from "../suggest.ts";
import { parseBool } from "../config/settings.ts";

export const DEFAULT_TIMEZONE = "Europe/Berlin";
export const DEFAULT_MISFIRE_GRACE_S = 300;
/** Longest run of an item before it is stopped (`timeout`; systemd `TimeoutStartSec=`): 6 hours. */
export const DEFAULT_TIMEOUT_S = 6 * 3600;

/** One validated item; paths are as written (see `itemArgs` for how they are resolved). */
export interface ScheduleItem {
  readonly id: string;
  readonly cron: string;
  readonly spec: CronSpec;
  readonly flowYaml?: string;
  readonly flowJob?: string;
  readonly bundleManifest?: string;
  readonly allowStaleBundle: boolean;
  readonly misfireGraceTime: number;
  /** Where the item and its keys are in the file, for issues found later (flow checks). */
  readonly at?: Readonly<Record<string, ItemPosition>>;
  /** Seconds a run may take before it is stopped (`timeout`); unset: `DEFAULT_TIMEOUT_S` (or the CLI's default). */
  readonly timeoutS?: number;
}

/** A line:col in the scheduler file. */
export interface ItemPosition {
  readonly line: number;
  readonly col: number;
}

export interface SchedulerConfig {
  readonly version: number;
  readonly timezone: string;
  readonly items: readonly ScheduleItem[];
  /** `file`: item paths are relative to the YAML's directory; `cwd` (default): to the scheduler's CWD. */
  readonly pathsRelativeTo: "cwd" | "file";
}

export interface SchedulerReport {
  readonly ok: boolean;
  readonly errors: Issue[];
  readonly warnings: Issue[];
  readonly config?: SchedulerConfig;
}

const _TOP_KEYS = ["version", "timezone", "items", "paths_relative_to"] as const;
const _ITEM_KEYS = [
  "id",
  "cron",
  "flow_yaml",
  "flow",
  "flow_job",
  "bundle_manifest",
  "allow_stale_bundle",
  "misfire_grace_time",
  "timeout",
] as const;
/** Names users reach for (upstream's `manifest`, crontab habits) whose distance is too big for the generic hint. */
const _ALIASES: Readonly<Record<string, string>> = {
  tz: "timezone",
  time_zone: "timezone",
  zone: "timezone",
  job: "flow_job",
  manifest: "bundle_manifest",
  schedule: "cron",
  name: "id",
  misfire_grace: "misfire_grace_time",
  grace: "misfire_grace_time",
  timeout_seconds: "timeout",
  max_runtime: "timeout",
};
const _INT_REGEXP = /^[+-]?\d[\d_]*(\.0*)?$/;
const _DURATION_REGEXP = /^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/;

/**
 * Validate scheduler YAML text.
 * @param text the file content
 * @param file the path shown in issues
 * @param options.now the instant DST warnings look ahead from (a year), default now
 * @returns errors and warnings with `line`/`col`; `config` only when there are no errors
 */
export function parseSchedulerYaml(
  text: string,
  file: string,
  options: { now?: number } = {},
): SchedulerReport {
  const loaded = loadYaml(text, file);
  if (loaded.issues.length > 0) {
    const errors = loaded.issues.map((i) =>
      i.code === "schema:model_type"
        ? { ...i, msg: "Input should be a valid dictionary or instance of SchedulerSpec" }
        : i
    );
    return { ok: false, errors, warnings: [] };
  }
  const v = new _Validator(file, loaded.locate);
  const root = loaded.value as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!(_TOP_KEYS as readonly string[]).includes(key)) {
      v.error([key], "schema:extra_forbidden", _extraMessage(key, _TOP_KEYS), true);
    }
  }
  const version = root.version === undefined ? 1 : v.int(["version"], root.version);
  let timezone = DEFAULT_TIMEZONE;
  if (root.timezone !== undefined) {
    const tz = v.str(["timezone"], root.timezone);
    const problem = tz === undefined ? undefined : timeZoneProblem(tz);
    if (problem) v.error(["timezone"], "scheduler:unknown_timezone", problem.msg);
    timezone = tz ?? DEFAULT_TIMEZONE;
  }
  let pathsRelativeTo: "cwd" | "file" = "cwd";
  if (root.paths_relative_to !== undefined) {
    const p = v.str(["paths_relative_to"], root.paths_relative_to);
    if (p === "file" || p === "cwd") pathsRelativeTo = p;
    else if (p !== undefined) {
      v.error(["paths_relative_to"], "schema:literal_error", "Input should be 'cwd' or 'file'");
    }
  }
  const items: ScheduleItem[] = [];
  const rawItems = root.items ?? [];
  if (!Array.isArray(rawItems)) {
    v.error(["items"], "schema:list_type", "Input should be a valid list");
  } else {
    const seen = new Set<string>();
    rawItems.forEach((raw, i) => {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === "string") {
        if (seen.has(id)) v.error(["items", i, "id"], "scheduler:duplicate_id", `Duplicate item id: ${id}`);
        seen.add(id);
      }
      const item = _item(v, raw, i);
      if (item) items.push(item);
      if (item && v.errors.every((e) => e.loc !== "timezone")) {
        for (const w of dstWarnings(item.spec, timezone, options.now ?? Date.now())) {
          v.warn(["items", i, "cron"], w.code, w.msg);
        }
      }
    });
  }
  const ok = v.errors.length === 0;
  const byPos = (a: Issue, b: Issue) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
  return {
    ok,
    errors: [...v.errors].sort(byPos),
    warnings: v.warnings,
    config: ok ? { version: version ?? 1, timezone, items, pathsRelativeTo } : undefined,
  };
}

function _extraMessage(key: string, allowed: readonly string[]): string {
  const alias = _ALIASES[key];
  if (alias !== undefined && allowed.includes(alias)) {
    return `Extra inputs are not permitted (did you mean '${alias}'?)`;
  }
  return extraKeyMessage(key, allowed);
}

function _item(v: _Validator, raw: unknown, i: number): ScheduleItem | undefined {
  const at = (key?: string): PathSegment[] => (key === undefined ? ["items", i] : ["items", i, key]);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    v.error(at(), "schema:model_type", "Input should be a valid dictionary or instance of ScheduleItem");
    return undefined;
  }
  const rec = raw as Record<string, unknown>;
  const before = v.errors.length;
  for (const key of Object.keys(rec)) {
    if (!(_ITEM_KEYS as readonly string[]).includes(key)) {
      v.error(at(key), "schema:extra_forbidden", _extraMessage(key, _ITEM_KEYS), true);
    }
  }
  let id = rec.id === undefined ? v.missing(at("id")) : v.str(at("id"), rec.id);
  const badId = id === undefined ? undefined : unsafeItemId(id);
  if (badId !== undefined) {
    id = v.error(at("id"), "scheduler:invalid_id", `Invalid item id ${JSON.stringify(id)}: ${badId}`);
  }
  const cron = rec.cron === undefined ? v.missing(at("cron")) : v.str(at("cron"), rec.cron);
  const opt = (
    key: string,
  ) => (rec[key] === undefined || rec[key] === null ? undefined : v.str(at(key), rec[key]));
  let flowYaml = opt("flow_yaml");
  const flowAlias = opt("flow");
  if (flowYaml !== undefined && flowAlias !== undefined) {
    v.error(at("flow"), "scheduler:flow_conflict", "Set only one of 'flow_yaml' or its alias 'flow'");
  }
  flowYaml ??= flowAlias;
  const flowJob = opt("flow_job");
  const bundleManifest = opt("bundle_manifest");
  const allowStaleBundle = rec.allow_stale_bundle === undefined
    ? false
    : v.bool(at("allow_stale_bundle"), rec.allow_stale_bundle);
  let grace = DEFAULT_MISFIRE_GRACE_S;
  if (rec.misfire_grace_time !== undefined) {
    const g = v.int(at("misfire_grace_time"), rec.misfire_grace_time);
    if (g !== undefined && g < 1) {
      v.error(
        at("misfire_grace_time"),
        "schema:greater_than_equal",
        "Input should be greater than or equal to 1",
      );
    }
    grace = g ?? grace;
  }
  const timeoutS = rec.timeout === undefined || rec.timeout === null
    ? undefined
    : v.duration(at("timeout"), rec.timeout);
  if (flowYaml === undefined && bundleManifest === undefined && id !== undefined) {
    v.error(
      at(),
      "scheduler:missing_target",
      `scheduler.yaml item ${id} must set 'flow_yaml' or 'bundle_manifest'`,
    );
  }
  let spec: CronSpec | undefined;
  if (cron !== undefined) {
    try {
      spec = parseCron(cron);
      if (cronNeverFires(spec)) {
        v.error(at("cron"), "scheduler:never_fires", `Cron expression never fires: ${cron}`);
      }
      for (const msg of numericDowWarnings(cron)) v.warn(at("cron"), "scheduler:numeric_dow", msg);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      v.error(at("cron"), err.code, err.message);
    }
  }
  if (v.errors.length > before || id === undefined || cron === undefined || spec === undefined) {
    return undefined;
  }
  return {
    id,
    cron,
    spec,
    flowYaml,
    flowJob,
    bundleManifest,
    allowStaleBundle,
    misfireGraceTime: grace,
    ...(timeoutS === undefined ? {} : { timeoutS }),
    at: _positions(v, i, rec),
  };
}

function _positions(v: _Validator, i: number, rec: Record<string, unknown>): Record<string, ItemPosition> {
  const out: Record<string, ItemPosition> = {};
  const item = v.position(["items", i]);
  if (item) out.item = item;
  for (const key of Object.keys(rec)) {
    const pos = v.position(["items", i, key]);
    if (pos) out[key] = pos;
  }
  return out;
}

/**
 * Seconds of a duration: an integer (`3600`) or d/h/m/s parts in that order (`90m`, `2h`, `1h30m`, `1d`);
 * undefined when the text is neither. `infinity` is not a duration here: every run has an end.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = _DURATION_REGEXP.exec(t);
  if (!m || t === "") return undefined;
  const [d, h, min, sec] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return ((d * 24 + h) * 60 + min) * 60 + sec;
}

/**
 * Why `id` cannot be an item id, or undefined. The id becomes part of the run id (a directory name), of unit
 * file names and of unit file lines, so it must be one line and one path segment.
 */
export function unsafeItemId(id: string): string | undefined {
  if (id.trim() === "") return "it is empty";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) return "it contains a control character (newline, tab…)";
  // `<id>-<slot>` is used verbatim as a directory name by `run`, which refuses "." and ".." segments.
  if (`${id}-x`.split(/[\\/]/).some((seg) => seg === "." || seg === "..")) {
    return `it has a "." or ".." path segment (the run id is a directory name)`;
  }
  return undefined;
}

type _Locate = (
  path: readonly PathSegment[],
  o?: { key?: boolean },
) => { line: number; col: number } | undefined;

class _Validator {
  readonly errors: Issue[] = [];
  readonly warnings: Issue[] = [];
  readonly #file: string;
  readonly #locate: _Locate;

  constructor(file: string, locate: _Locate) {
    this.#file = file;
    this.#locate = locate;
  }

  error(path: readonly PathSegment[], code: string, msg: string, key = false): undefined {
    this.errors.push(this.#issue(path, code, msg, key));
    return undefined;
  }

  warn(path: readonly PathSegment[], code: string, msg: string): void {
    this.warnings.push(this.#issue(path, code, msg, false));
  }

  position(path: readonly PathSegment[]): ItemPosition | undefined {
    return this.#locate(path);
  }

  missing(path: readonly PathSegment[]): undefined {
    return this.error(path, "schema:missing", "Field required");
  }

  str(path: readonly PathSegment[], value: unknown): string | undefined {
    if (typeof value === "string") return value;
    return this.error(path, "schema:string_type", "Input should be a valid string");
  }

  int(path: readonly PathSegment[], value: unknown): number | undefined {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (typeof value === "number") {
      if (Number.isInteger(value)) return value;
      return this.error(
        path,
        "schema:int_from_float",
        "Input should be a valid integer, got a number with a fractional part",
      );
    }
    if (typeof value === "string") {
      const t = value.trim();
      if (_INT_REGEXP.test(t)) return Math.trunc(Number(t.replaceAll("_", "")));
      return this.error(
        path,
        "schema:int_parsing",
        "Input should be a valid integer, unable to parse string as an integer",
      );
    }
    return this.error(path, "schema:int_type", "Input should be a valid integer");
  }

  /** Seconds >= 1: an integer, or `90m`, `2h`, `1h30m`, `1d` (see `parseDurationSeconds`). */
  duration(path: readonly PathSegment[], value: unknown): number | undefined {
    let seconds: number | undefined;
    if (typeof value === "string" && !_INT_REGEXP.test(value.trim())) {
      seconds = parseDurationSeconds(value);
      if (seconds === undefined) {
        return this.error(
          path,
          "scheduler:invalid_duration",
          `Invalid duration ${JSON.stringify(value)}: use seconds (3600) or d/h/m/s parts (90m, 2h, 1h30m)`,
        );
      }
    } else {
      seconds = this.int(path, value);
    }
    if (seconds !== undefined && seconds < 1) {
      return this.error(path, "schema:greater_than_equal", "Input should be at least 1 second");
    }
    return seconds;
  }

  /** Booleans per the core rules [D17]: "false"/"0"/"no" are false. */
  bool(path: readonly PathSegment[], value: unknown): boolean {
    if (typeof value === "boolean") return value;
    if (value === 0 || value === 1) return value === 1;
    const parsed = typeof value === "string" ? parseBool(value) : undefined;
    if (parsed !== undefined) return parsed;
    this.error(path, "schema:bool_type", "Input should be a valid boolean");
    return false;
  }

  #issue(path: readonly PathSegment[], code: string, msg: string, key: boolean): Issue {
    const loc = _loc(path);
    const pos = this.#locate(path, { key });
    return { code, loc, msg, ...(pos ? { line: pos.line, col: pos.col } : {}), file: this.#file };
  }
}

/** `items[0].cron`; empty path -> `<root>` (docs/yaml-spec.md loc format). */
function _loc(path: readonly PathSegment[]): string {
  if (path.length === 0) return "<root>";
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
