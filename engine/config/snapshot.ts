/**
 * The env snapshot (docs/configuration.md): one builder for validate, doctor, explain and run [D10].
 * Never written back to the process env.
 * @module
 */
import { UsageError } from "../errors.ts";
import { currentDir, envObject } from "./_io.ts";
import { loadEnvFiles } from "./env_files.ts";

/** The env snapshot: a frozen string -> string map. */
export type Snapshot = Readonly<Record<string, string>>;

export interface BuildSnapshotOptions {
  /** Base environment; defaults to the OS environment. */
  env?: Record<string, string>;
  /** Base for relative env file paths; defaults to the current working directory. */
  cwd?: string;
  /**
   * `--env-file` paths, loaded after the `AETHERFLOW_ENV_FILES_JSON` files (later wins): dotenv, or JSON when
   * the name ends in `.json`. A missing file is an error.
   */
  envFiles?: readonly string[];
}

/** Parse `AETHERFLOW_ENV_FILES_JSON` into raw spec entries (checked one by one by `loadEnvFiles`). */
export function parseEnvFilesJson(text: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError("AETHERFLOW_ENV_FILES_JSON must be a JSON list", {
      code: "config:env_file",
      cause: err,
    });
  }
  if (!Array.isArray(doc)) {
    throw new UsageError("AETHERFLOW_ENV_FILES_JSON must be a JSON list", { code: "config:env_file" });
  }
  return doc;
}

/**
 * Build the snapshot: OS env (steps 1–2 of docs/configuration.md), then the `AETHERFLOW_ENV_FILES_JSON` files overlaid (later wins).
 * Bundle steps are applied by the bundle layer; `expand_env` and engine keys by `finalizeSnapshot`.
 * @throws {UsageError} (exit 2) on a bad `AETHERFLOW_ENV_FILES_JSON` or env file, naming the file.
 */
export function buildSnapshot(options: BuildSnapshotOptions = {}): Snapshot {
  const base = options.env ?? envObject();
  const out = new Map<string, string>(Object.entries(base).map(([k, v]) => [k, String(v)]));
  const filesJson = (base.AETHERFLOW_ENV_FILES_JSON ?? "").trim();
  if (filesJson !== "") {
    const specs = parseEnvFilesJson(filesJson);
    const loaded = loadEnvFiles(specs, { cwd: options.cwd ?? currentDir() });
    for (const [k, v] of Object.entries(loaded)) out.set(k, v);
  }
  if (options.envFiles !== undefined && options.envFiles.length > 0) {
    const specs = options.envFiles.map((path) => ({
      type: path.toLowerCase().endsWith(".json") ? "json" : "dotenv",
      path,
    }));
    const loaded = loadEnvFiles(specs, { cwd: options.cwd ?? currentDir() });
    for (const [k, v] of Object.entries(loaded)) out.set(k, v);
  }
  return Object.freeze(Object.fromEntries(out));
}

/** A copy of `snapshot` with `changes` applied (`undefined` removes a key), frozen again. */
export function withSnapshotChanges(
  snapshot: Snapshot,
  changes: Readonly<Record<string, string | undefined>>,
): Snapshot {
  const out = new Map<string, string>(Object.entries(snapshot));
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) out.delete(k);
    else out.set(k, v);
  }
  return Object.freeze(Object.fromEntries(out));
}
