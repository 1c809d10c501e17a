/**
 * The plugin lock: where the operator pins each plugin's sha256 and grants (D11). Found through
 * `AETHERFLOW_PLUGIN_LOCK=<path>` or as `aetherflow.plugins.yaml` beside the flow; YAML or JSON
 * `{version: 1, plugins: [{path, sha256, grants}]}`, paths relative to the lock file. A bundle manifest will
 * carry the same entries.
 * @module
 */
import { basename, dirname, isAbsolute, join, normalize, resolve } from "node:path";
import { LineCounter, parseDocument, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { AetherflowError, EXIT } from "../../engine/errors.ts";
import { DirGrantSchema, GrantsSchema } from "../abi/mod.ts";
import { locatePath } from "../../engine/flow/locate_path.ts";
import { renderString } from "../../engine/resolver/render.ts";
import { suggestKey } from "../../engine/suggest.ts";
import { yamlBudgetProblem } from "../../engine/yaml_budget.ts";

/** The lock file looked for beside the flow when `AETHERFLOW_PLUGIN_LOCK` is unset. */
export const PLUGIN_LOCK_FILE = "aetherflow.plugins.yaml";
export const PLUGIN_LOCK_ENV = "AETHERFLOW_PLUGIN_LOCK";

const _SHA256_REGEXP = /^[0-9a-f]{64}$/;

export const PluginPinSchema = z.strictObject({
  path: z.string().min(1),
  sha256: z.string().regex(_SHA256_REGEXP, "must be 64 lowercase hex digits"),
  // Strict: a mistyped grant must not silently grant nothing (or, worse, be ignored).
  grants: GrantsSchema.optional(),
  /** `worker` (default, sandboxed) or `foreground` (trusted: faster, no timeout, no HTTP). */
  run: z.enum(["worker", "foreground"]).optional(),
});
export type PluginPin = z.input<typeof PluginPinSchema>;

const _LockSchema = z.strictObject({
  version: z.literal(1),
  plugins: z.array(PluginPinSchema).default([]),
});

export interface PluginLock {
  /** Absolute path of the lock file. */
  file: string;
  plugins: PluginPin[];
}

/** A pin with its path resolved against the lock file's folder. */
export interface ResolvedPin {
  path: string;
  sha256: string;
  grants: z.input<typeof GrantsSchema>;
  run: "worker" | "foreground";
  /** Where the pin comes from (the lock file or manifest), for messages. */
  source: string;
}

/**
 * The lock file that applies to `flowPath`, or null when none exists.
 * @throws {AetherflowError} `plugin:lock` (exit 2) when `AETHERFLOW_PLUGIN_LOCK` names a missing file.
 */
export async function findPluginLock(
  options: { flowPath: string; snapshot: Readonly<Record<string, string>>; cwd?: string },
): Promise<string | null> {
  const fromEnv = (options.snapshot[PLUGIN_LOCK_ENV] ?? "").trim();
  if (fromEnv !== "") {
    const abs = resolve(options.cwd ?? Deno.cwd(), fromEnv);
    if (!(await isFile(abs))) throw _lockError(`Plugin lock not found: ${abs} (${PLUGIN_LOCK_ENV})`);
    return abs;
  }
  const beside = join(dirname(resolve(options.cwd ?? Deno.cwd(), options.flowPath)), PLUGIN_LOCK_FILE);
  return (await isFile(beside)) ? beside : null;
}

/**
 * Read and check a lock file.
 * @throws {AetherflowError} `plugin:lock` (exit 2) naming the file and the first problem.
 */
export async function readPluginLock(path: string): Promise<PluginLock> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw _lockError(`Cannot read plugin lock ${file}: ${(err as Error).message}`);
  }
  const tooMany = yamlBudgetProblem(text);
  if (tooMany) throw _lockError(`Invalid plugin lock ${file}: ${tooMany}`);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (p: { line: number; col: number } | undefined) => (p ? `${file}:${p.line}:${p.col}` : file);
  const first = doc.errors[0];
  if (first) {
    const msg = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw _lockError(`Invalid plugin lock ${at(lc.linePos(first.pos[0]))}: ${msg}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? { version: 1 };
  } catch (err) {
    throw _lockError(`Invalid plugin lock ${file}: ${(err as Error).message}`);
  }
  const locate = (p: readonly PropertyKey[], wantKey = false) =>
    locatePath(doc, p.map((s) => (typeof s === "number" ? s : String(s))), {
      wantKey,
      pos: (o) => lc.linePos(o),
    });
  const parsed = _LockSchema.safeParse(raw);
  if (!parsed.success) {
    // An unknown key explains a "missing" one (`sha:` for `sha256:`): report it first.
    const issue = parsed.error.issues.find((i) => i.code === "unrecognized_keys") ?? parsed.error.issues[0]!;
    let where = issue.path;
    let msg = issue.message;
    let key = false;
    if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
      const bad = issue.keys[0]!;
      where = [...issue.path, bad];
      key = true;
      const allowed = _allowedKeys(issue.path);
      const hint = allowed ? suggestKey(bad, allowed) : undefined;
      msg = `Unknown key ${JSON.stringify(bad)}${hint ? ` (did you mean '${hint}'?)` : ""}`;
    }
    const loc = where.map(String).join(".");
    throw _lockError(`Invalid plugin lock ${at(locate(where, key))}: ${loc ? `${loc}: ` : ""}${msg}`);
  }
  // Keep the grants as written (not with defaults filled in) so `plugin pin` rewrites them unchanged.
  const written = (raw as { plugins?: PluginPin[] }).plugins ?? [];
  // Two pins of one file are ambiguous (which sha256 and grants apply?): the run would silently keep one.
  const seen = new Map<string, number>();
  written.forEach((p, i) => {
    const target = isAbsolute(p.path) ? p.path : resolve(dirname(file), p.path);
    const prev = seen.get(target);
    if (prev !== undefined) {
      throw _lockError(
        `Invalid plugin lock ${
          at(locate(["plugins", i, "path"]))
        }: plugins.${i}.path: ${target} is already ` +
          `pinned by plugins.${prev}; keep one entry per plugin file`,
      );
    }
    seen.set(target, i);
  });
  return { file, plugins: written.map((p) => ({ ...p })) };
}

function _allowedKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return Object.keys(_LockSchema.shape);
  if (path.length === 2 && path[0] === "plugins") return Object.keys(PluginPinSchema.shape);
  if (path.length === 3 && path[2] === "grants") return Object.keys(GrantsSchema.shape);
  if (path.length === 5 && path[3] === "dirs") return Object.keys(DirGrantSchema.shape);
  return undefined;
}

/** Resolve every pin's path against the lock's folder. */
export function resolvePins(lock: PluginLock): ResolvedPin[] {
  const base = dirname(lock.file);
  return lock.plugins.map((p) => ({
    path: isAbsolute(p.path) ? p.path : resolve(base, p.path),
    sha256: p.sha256,
    grants: p.grants ?? {},
    run: p.run ?? "worker",
    source: lock.file,
  }));
}

/**
 * The grants of a pin with each `dirs` path rendered: `{{env.X}}` and `{{env.X:DEFAULT}}` templates (the strict
 * resolver, docs/templating.md) against `env`, so a lock or manifest can grant the work root or a per-host
 * folder. The rendered path must be absolute.
 * @throws {AetherflowError} `plugin:grants` (exit 2) naming the pin, the guest path and the problem.
 */
export function renderGrantDirs(
  pin: { path: string; grants: z.input<typeof GrantsSchema> },
  env: Readonly<Record<string, string>>,
): z.input<typeof GrantsSchema> {
  const dirs = pin.grants.dirs;
  if (!dirs || typeof dirs !== "object") return pin.grants;
  const out: Record<string, unknown> = {};
  for (const [guest, d] of Object.entries(dirs)) {
    if (!d || typeof d !== "object" || typeof (d as { path?: unknown }).path !== "string") {
      out[guest] = d;
      continue;
    }
    const raw = (d as { path: string }).path;
    let path: unknown;
    try {
      path = renderString(raw, { env }, { roots: ["env"] });
    } catch (err) {
      throw _grantsError(
        `Invalid grants for plugin ${pin.path}: dirs.${guest}.path: ${(err as Error).message}`,
      );
    }
    if (typeof path !== "string" || !isAbsolute(path)) {
      throw _grantsError(
        `Invalid grants for plugin ${pin.path}: dirs.${guest}.path must be an absolute path (got ${
          JSON.stringify(path)
        } from ${JSON.stringify(raw)})`,
      );
    }
    out[guest] = { ...d, path: normalize(path) };
  }
  return { ...pin.grants, dirs: out as z.input<typeof GrantsSchema>["dirs"] };
}

function _grantsError(message: string): AetherflowError {
  return new AetherflowError(message, { code: "plugin:grants", exitCode: EXIT.INVALID });
}

/** A copy of `lock` with the pin for `pin.path` added or replaced (grants kept unless given). */
export function upsertPin(lock: PluginLock, pin: PluginPin): PluginLock {
  const base = dirname(lock.file);
  const target = resolve(base, pin.path);
  const plugins = [...lock.plugins];
  const i = plugins.findIndex((p) => resolve(base, p.path) === target);
  if (i >= 0) {
    const prev = plugins[i]!;
    plugins[i] = { ...prev, ...pin, grants: pin.grants ?? prev.grants };
  } else plugins.push(pin);
  return { file: lock.file, plugins };
}

/** Write `lock` (JSON when the file name ends with `.json`, YAML otherwise). */
export async function writePluginLock(lock: PluginLock): Promise<void> {
  const data = {
    version: 1,
    plugins: lock.plugins.map((p) => _dropUndefined({ ...p })),
  };
  const text = lock.file.endsWith(".json") ? `${JSON.stringify(data, null, 2)}\n` : stringifyYaml(data);
  // Write a sibling temporary file, then rename: a failed write never leaves a truncated lock behind.
  const tmp = join(dirname(lock.file), `.${basename(lock.file)}.${Deno.pid}.tmp`);
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, lock.file);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new AetherflowError(`Cannot write plugin lock ${lock.file}: ${(err as Error).message}`, {
      code: "plugin:lock",
      exitCode: EXIT.FAILED,
      cause: err,
    });
  }
}

function _dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Whether `path` is a regular file (false when missing or unreadable). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function _lockError(message: string): AetherflowError {
  return new AetherflowError(message, { code: "plugin:lock", exitCode: EXIT.INVALID });
}
