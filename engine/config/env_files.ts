/**
 * Env files (docs/configuration.md): dotenv, json and dir-of-files sources overlaid on the snapshot.
 * The dotenv dialect is upstream's, exactly: no `export`, no inline comments, no escapes.
 * @module
 */
import { UsageError } from "../errors.ts";
import { absolutePath, join, listDir, pathKind, readUtf8 } from "./_io.ts";
import { parseErrorReason } from "./_parse_errors.ts";

/** One env file source, as given in `AETHERFLOW_ENV_FILES_JSON` or a bundle manifest. */
export interface EnvFileSpec {
  type: string;
  path: string;
  optional?: boolean;
  prefix?: string;
}

export interface LoadEnvFilesOptions {
  /** Base for relative paths: the current working directory, or a bundle's active dir. */
  cwd: string;
}

const _DIR_TYPES = new Set(["dir", "directory", "dir-of-files"]);
const _LINE_REGEXP = /\r\n|\r|\n/;

function _fail(message: string, cause?: unknown): never {
  throw new UsageError(message, { code: "config:env_file", cause });
}

/**
 * Parse dotenv text with upstream's dialect: per line trim; skip empty, `#…` and `=`-less lines; split at the
 * first `=`; trim key and value; strip one pair of matching `"` or `'` quotes; skip empty keys.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(_LINE_REGEXP)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    // Python `v[1:-1]` when both ends are the same quote: a lone `"` becomes "" and `"x'` stays.
    if (value.length > 0 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    if (key === "") continue;
    out.set(key, value);
  }
  return Object.fromEntries(out); // fromEntries defines own keys, so `__proto__` is an ordinary key
}

/** Text form of a JSON env value [D17]: strings as is, booleans `true`/`false`, the rest compact JSON. */
function _jsonEnvValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function _readText(path: string): string {
  try {
    return readUtf8(path);
  } catch (err) {
    if (err instanceof TypeError) _fail(`Env file is not valid UTF-8: ${path}`, err);
    _fail(`Cannot read env file ${path}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

function _loadJson(path: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(_readText(path));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    _fail(`Invalid JSON in env file ${path}: ${parseErrorReason(err)}`, err);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    _fail(`json env file must be a JSON object: ${path}`);
  }
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(doc)) {
    if (v !== null) out.set(k, _jsonEnvValue(v));
  }
  return Object.fromEntries(out);
}

function _loadDir(path: string): Record<string, string> {
  if (pathKind(path) !== "dir") _fail(`Not a directory: ${path}`);
  const out = new Map<string, string>();
  for (const name of listDir(path)) {
    const full = join(path, name);
    if (pathKind(full) === "file") out.set(name, _readText(full).replace(/\n+$/, ""));
  }
  return Object.fromEntries(out);
}

/** Check one raw spec (from JSON or a manifest) and normalise it. */
export function toEnvFileSpec(raw: unknown): EnvFileSpec {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) _fail("env file spec must be an object");
  const r = raw as Record<string, unknown>;
  const type = r.type ?? "";
  const path = r.path;
  if (typeof type !== "string") _fail(`env file spec "type" must be a string, got ${JSON.stringify(type)}`);
  if (typeof path !== "string" || path === "") _fail('env file spec "path" must be a non-empty string');
  const optional = r.optional ?? false;
  if (typeof optional !== "boolean") _fail('env file spec "optional" must be true or false');
  const prefix = r.prefix ?? "";
  if (typeof prefix !== "string") _fail('env file spec "prefix" must be a string');
  return { type, path, optional, prefix };
}

/** A bundle manifest `env_files` entry [D12]: a string is a dotenv path, an object an `EnvFileSpec`. */
export function manifestEnvFileSpec(raw: unknown): EnvFileSpec {
  return typeof raw === "string" ? toEnvFileSpec({ type: "dotenv", path: raw }) : toEnvFileSpec(raw);
}

/** Load one env file; `null` when it is optional and missing. Keys carry the spec's prefix. */
export function loadEnvFile(spec: EnvFileSpec, options: LoadEnvFilesOptions): Record<string, string> | null {
  const type = spec.type.trim().toLowerCase();
  const path = absolutePath(spec.path, options.cwd);
  if (pathKind(path) === "missing") {
    if (spec.optional) return null;
    _fail(`Env file not found: ${path}`);
  }
  let values: Record<string, string>;
  if (type === "dotenv") {
    if (pathKind(path) !== "file") _fail(`Env file is not a file: ${path}`);
    values = parseDotenv(_readText(path));
  } else if (type === "json") values = _loadJson(path);
  else if (_DIR_TYPES.has(type)) values = _loadDir(path);
  else _fail(`Unsupported env_files type: ${spec.type}`);
  const prefix = spec.prefix ?? "";
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [prefix + k, v]));
}

/**
 * Load env files in order; later keys override earlier ones.
 * @throws {UsageError} (exit 2) naming the file: `Env file not found: <path>`, `Not a directory: <path>`,
 * `json env file must be a JSON object`, `Unsupported env_files type: <type>`, `env file spec must be an object`.
 */
export function loadEnvFiles(
  specs: readonly unknown[],
  options: LoadEnvFilesOptions,
): Record<string, string> {
  const out = new Map<string, string>();
  for (const raw of specs) {
    for (const [k, v] of Object.entries(loadEnvFile(toEnvFileSpec(raw), options) ?? {})) out.set(k, v);
  }
  return Object.fromEntries(out);
}
