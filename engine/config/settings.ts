/**
 * Settings (docs/configuration.md): `AETHERFLOW_*` env vars, then the settings file (`AETHERFLOW_SETTINGS_FILE`, YAML or
 * JSON) [D10], then explicit overrides. Booleans per D17.
 * @module
 */
import { parse } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";
import { yamlBudgetProblem } from "../yaml_budget.ts";
import { suggestKey } from "../suggest.ts";
import { UsageError } from "../errors.ts";
import { absolutePath, currentDir, join, pathKind, readUtf8, tempRoot } from "./_io.ts";
import { parseErrorReason } from "./_parse_errors.ts";
import type { Snapshot } from "./snapshot.ts";

import { LOG_LEVELS, type LogLevel } from "../observe/logger.ts";

export type { LogLevel };
export type LogFormat = "text" | "json";

/** Every setting; the names are also the settings file's keys. */
export interface SettingValues {
  work_root: string;
  state_root: string;
  plugin_paths: string[];
  plugin_strict: boolean;
  strict_templates: boolean;
  log_level: LogLevel;
  log_format: LogFormat;
  connector_cache_default: string;
  connector_cache_disabled: boolean;
  secrets_plugin: string | null;
  metrics_textfile: string | null;
  otlp_endpoint: string | null;
  /** PostgreSQL URL of flows with `state.backend: postgres` and no `state.url` (docs/state.md "PostgreSQL"). */
  state_url: string | null;
  /** Run leases and scheduler fire claims expire this long after their holder stops renewing (docs/fleet.md). */
  lease_seconds: number;
}

export type SettingName = keyof SettingValues;

export interface Settings extends SettingValues {
  /** Where each value came from: `env:AETHERFLOW_X`, `file:<path>`, `override` or `default`. */
  sources: Record<SettingName, string>;
  /** Absolute path of the settings file, when one is used. */
  settings_file: string | null;
  /** Non-fatal problems (a bad boolean falls back to its default), for the caller to log as WARNING. */
  warnings: string[];
}

type _Kind = "string" | "optional" | "bool" | "list" | "level" | "format" | "seconds";
const _FIELDS: Readonly<Record<SettingName, { env: string; kind: _Kind }>> = {
  work_root: { env: "AETHERFLOW_WORK_ROOT", kind: "string" },
  state_root: { env: "AETHERFLOW_STATE_ROOT", kind: "string" },
  plugin_paths: { env: "AETHERFLOW_PLUGIN_PATHS", kind: "list" },
  plugin_strict: { env: "AETHERFLOW_PLUGIN_STRICT", kind: "bool" },
  strict_templates: { env: "AETHERFLOW_STRICT_TEMPLATES", kind: "bool" },
  log_level: { env: "AETHERFLOW_LOG_LEVEL", kind: "level" },
  log_format: { env: "AETHERFLOW_LOG_FORMAT", kind: "format" },
  connector_cache_default: { env: "AETHERFLOW_CONNECTOR_CACHE_DEFAULT", kind: "string" },
  connector_cache_disabled: { env: "AETHERFLOW_CONNECTOR_CACHE_DISABLED", kind: "bool" },
  secrets_plugin: { env: "AETHERFLOW_SECRETS_PLUGIN", kind: "optional" },
  metrics_textfile: { env: "AETHERFLOW_METRICS_TEXTFILE", kind: "optional" },
  otlp_endpoint: { env: "AETHERFLOW_OTLP_ENDPOINT", kind: "optional" },
  state_url: { env: "AETHERFLOW_STATE_URL", kind: "optional" },
  lease_seconds: { env: "AETHERFLOW_LEASE_SECONDS", kind: "seconds" },
};
export const SETTING_NAMES: readonly SettingName[] = Object.keys(_FIELDS) as SettingName[];

/** The env var each setting is read from. */
export function settingEnvVar(name: SettingName): string {
  return _FIELDS[name].env;
}

function _defaults(): SettingValues {
  return {
    work_root: join(tempRoot(), "work"),
    state_root: join(tempRoot(), "state"),
    plugin_paths: [],
    plugin_strict: true,
    strict_templates: true,
    log_level: "INFO",
    log_format: "text",
    connector_cache_default: "run",
    connector_cache_disabled: false,
    secrets_plugin: null,
    metrics_textfile: null,
    otlp_endpoint: null,
    state_url: null,
    lease_seconds: 60,
  };
}

// A lease shorter than a few seconds cannot be renewed reliably (renewal every third of it); a day is plenty.
const _MIN_LEASE_S = 3;
const _MAX_LEASE_S = 86_400;

const _TRUE = new Set(["1", "true", "yes", "y", "on"]);
const _FALSE = new Set(["0", "false", "no", "n", "off", ""]);

/** D17 booleans: `1,true,yes,y,on` / `0,false,no,n,off,""` (trimmed, any case); anything else -> `undefined`. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  return _TRUE.has(t) ? true : _FALSE.has(t) ? false : undefined;
}

/** Parse one text value (env var or file string) into `name`'s type; `undefined` = invalid. */
function _fromText(name: SettingName, text: string): SettingValues[SettingName] | undefined {
  switch (_FIELDS[name].kind) {
    case "bool":
      return parseBool(text);
    case "list":
      return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
    case "level": {
      const up = text.trim().toUpperCase();
      return Object.hasOwn(LOG_LEVELS, up) ? up as LogLevel : undefined;
    }
    case "format":
      return text.trim().toLowerCase() === "json" ? "json" : "text";
    case "optional":
      return text.trim() === "" ? null : text;
    case "seconds": {
      const n = Number(text.trim());
      return Number.isInteger(n) && n >= _MIN_LEASE_S && n <= _MAX_LEASE_S ? n : undefined;
    }
    default:
      return text;
  }
}

/** A typed value from the settings file: booleans, lists of strings and null are accepted as such. */
function _fromFile(name: SettingName, value: unknown): SettingValues[SettingName] | undefined {
  const kind = _FIELDS[name].kind;
  if (typeof value === "string") return _fromText(name, value);
  if (kind === "bool" && typeof value === "boolean") return value;
  if (kind === "bool" && (value === 0 || value === 1)) return value === 1;
  if (kind === "list" && Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return value.map((s) => s.trim()).filter((s) => s !== "");
  }
  if (kind === "optional" && value === null) return null;
  if (kind === "seconds" && typeof value === "number") return _fromText(name, String(value));
  return undefined;
}

function _suggest(key: string): string {
  const best = suggestKey(key, SETTING_NAMES);
  return best ? ` (did you mean '${best}'?)` : "";
}

function _readSettingsFile(path: string): Record<string, unknown> {
  const fail = (msg: string, cause?: unknown): never => {
    throw new UsageError(msg, { code: "config:settings_file", cause });
  };
  if (pathKind(path) !== "file") fail(`Settings file not found: ${path}`);
  let text = "";
  try {
    text = readUtf8(path);
  } catch (err) {
    if (err instanceof TypeError) fail(`Settings file is not valid UTF-8: ${path}`, err);
    fail(`Cannot read settings file ${path}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const tooMany = yamlBudgetProblem(text);
  if (tooMany) fail(`Invalid settings file ${path}: ${tooMany}`);
  let doc: unknown;
  try {
    // YAML 1.1 is a superset of the JSON we accept, so one parser reads both forms.
    doc = parse(text, YAML11_OPTIONS);
  } catch (err) {
    fail(`Invalid settings file ${path}: ${parseErrorReason(err)}`, err);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) fail(`Settings file must be a mapping: ${path}`);
  return doc as Record<string, unknown>;
}

export interface LoadSettingsOptions {
  /** Base for a relative `AETHERFLOW_SETTINGS_FILE`; defaults to the current working directory. */
  cwd?: string;
  /** Explicit overrides (CLI); they win over env and settings file. */
  overrides?: Partial<SettingValues>;
}

/**
 * Settings from the snapshot, then the settings file, then overrides.
 * @throws {UsageError} (exit 2) on a missing/unparsable settings file, an unknown key in it, or a bad value there.
 */
export function loadSettings(snapshot: Snapshot, options: LoadSettingsOptions = {}): Settings {
  const values = _defaults();
  const sources = Object.fromEntries(SETTING_NAMES.map((n) => [n, "default"])) as Record<SettingName, string>;
  const warnings: string[] = [];
  const set = <K extends SettingName>(name: K, value: SettingValues[K], source: string) => {
    values[name] = value;
    sources[name] = source;
  };
  for (const name of SETTING_NAMES) {
    const env = _FIELDS[name].env;
    const text = snapshot[env];
    if (text === undefined) continue;
    const parsed = _fromText(name, text);
    if (parsed !== undefined) set(name, parsed, `env:${env}`);
    else if (_FIELDS[name].kind === "bool") {
      warnings.push(`Invalid boolean for ${env}: ${JSON.stringify(text)}; using default ${values[name]}`);
    } else if (_FIELDS[name].kind === "seconds") {
      warnings.push(
        `Invalid ${env}: ${JSON.stringify(text)} (whole seconds, ${_MIN_LEASE_S} to ${_MAX_LEASE_S}); ` +
          `using default ${values[name]}`,
      );
    } else warnings.push(`Unknown log level for ${env}: ${JSON.stringify(text)}; using INFO`);
  }
  const fileText = (snapshot.AETHERFLOW_SETTINGS_FILE ?? "").trim();
  const file = fileText === "" ? null : absolutePath(fileText, options.cwd ?? currentDir());
  if (file !== null) {
    for (const [key, raw] of Object.entries(_readSettingsFile(file))) {
      if (!(key in _FIELDS)) {
        throw new UsageError(`Unknown setting '${key}' in settings file ${file}${_suggest(key)}`, {
          code: "config:settings_file",
        });
      }
      const name = key as SettingName;
      const parsed = _fromFile(name, raw);
      if (parsed === undefined) {
        throw new UsageError(`Invalid value for setting '${key}' in settings file ${file}`, {
          code: "config:settings_file",
        });
      }
      set(name, parsed, `file:${file}`);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) set(key as SettingName, value as SettingValues[SettingName], "override");
  }
  return { ...values, sources, settings_file: file, warnings };
}
