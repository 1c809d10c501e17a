/**
 * The plugin lock: where the operator pins each plugin's sha256 and grants (D11). Found through
 * `AETHERFLOW_PLUGIN_LOCK=<path>` or as `aetherflow.plugins.yaml` beside the flow; YAML or JSON
 * `{version: 1, plugins: [{path, sha256, grants}]}`, paths relative to the lock file. A bundle manifest will
 * carry the same entries.
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { AetherflowError, EXIT } from "../../engine/errors.ts";
import { GrantsSchema } from "../abi/mod.ts";

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
    if (!(await _isFile(abs))) throw _lockError(`Plugin lock not found: ${abs} (${PLUGIN_LOCK_ENV})`);
    return abs;
  }
  const beside = join(dirname(resolve(options.cwd ?? Deno.cwd(), options.flowPath)), PLUGIN_LOCK_FILE);
  return (await _isFile(beside)) ? beside : null;
}

/**
 * Read and check a lock file.
 * @throws {AetherflowError} `plugin:lock` (exit 2) naming the file and the first problem.
 */
export async function readPluginLock(path: string): Promise<PluginLock> {
  const file = resolve(path);
  let raw: unknown;
  try {
    raw = parseYaml(await Deno.readTextFile(file)) ?? { version: 1 };
  } catch (err) {
    throw _lockError(`Invalid plugin lock ${file}: ${(err as Error).message}`);
  }
  const parsed = _LockSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const loc = first ? first.path.map(String).join(".") : "";
    throw _lockError(`Invalid plugin lock ${file}: ${loc ? `${loc}: ` : ""}${first?.message ?? "invalid"}`);
  }
  // Keep the grants as written (not with defaults filled in) so `plugin pin` rewrites them unchanged.
  const written = (raw as { plugins?: PluginPin[] }).plugins ?? [];
  return { file, plugins: written.map((p) => ({ ...p, sha256: p.sha256 })) };
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
  await Deno.writeTextFile(lock.file, text);
}

function _dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

async function _isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function _lockError(message: string): AetherflowError {
  return new AetherflowError(message, { code: "plugin:lock", exitCode: EXIT.INVALID });
}
