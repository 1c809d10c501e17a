/**
 * Read and validate a bundle manifest (docs/bundles.md "Manifest"): YAML with positions, every problem at once
 * as `<loc>: <message>` with `file:line:col`, unknown keys with a did-you-mean hint [D6].
 * @module
 */
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { SpecError } from "../errors.ts";
import { GrantsSchema } from "../../plugins/abi/mod.ts";
import { PluginPinSchema } from "../../plugins/lock/plugin_lock.ts";
import { decodeSource, formatLoc, loadYaml, type PathSegment } from "../flow/load_yaml.ts";
import { suggestKey } from "../suggest.ts";
import type { Issue } from "../types.ts";
import { KEYS_MARKER } from "./_fields.ts";
import { readManifestBytes } from "./_manifest_file.ts";
import { type ManifestDoc, manifestSchema } from "./manifest_model.ts";

/** A validated manifest plus where it was read from. */
export interface BundleManifest extends ManifestDoc {
  /** The path as given (reported back by `bundle sync --json`). */
  file: string;
  /** Absolute path of the manifest. */
  path: string;
  /** Its directory: the base of relative filesystem/archive source paths and `paths.plugins`. */
  dir: string;
}

/** An invalid manifest: every issue, exit 2. */
export class ManifestError extends SpecError {
  constructor(file: string, issues: readonly Issue[]) {
    super(issues, [], [`Invalid bundle manifest ${file}:`, ...issues.map(formatManifestIssue)].join("\n"));
    this.name = "ManifestError";
  }
}

/** `- <loc>: <msg> (<file>:<line>:<col>)`. */
export function formatManifestIssue(issue: Issue): string {
  const where = issue.line === undefined ? "" : ` (${issue.file ?? ""}:${issue.line}:${issue.col ?? 1})`;
  return `- ${issue.loc}: ${issue.msg}${where}`;
}

const _KEY_CODE = "manifest:unknown_key";
const _VALUE_CODE = "manifest:invalid";

/**
 * Check a manifest already in memory.
 * @returns the manifest, or the issues (never throws on bad input)
 */
export function parseManifest(
  text: string,
  options: { file: string; path?: string },
): { manifest: BundleManifest; issues: [] } | { manifest?: undefined; issues: Issue[] } {
  const file = options.file;
  const loaded = loadYaml(text, file);
  if (loaded.issues.length > 0) {
    const issues = loaded.issues.map((i) =>
      i.code === "schema:model_type"
        ? { ...i, code: _VALUE_CODE, msg: "Bundle manifest must be a YAML mapping (object)" }
        : i
    );
    return { issues };
  }
  const parsed = manifestSchema.safeParse(loaded.value);
  const issues: Issue[] = [];
  const push = (path: PathSegment[], code: string, msg: string, key = false) => {
    const pos = loaded.locate(path, { key });
    issues.push({ code, loc: formatLoc(path), msg, file, ...(pos ? { line: pos.line, col: pos.col } : {}) });
  };
  if (!parsed.success) {
    for (const iss of parsed.error.issues) _mapIssue(iss, push);
  } else {
    const doc = parsed.data;
    const src = doc.bundle.source;
    if ("resource" in src && !Object.hasOwn(doc.resources, src.resource)) {
      const known = Object.keys(doc.resources);
      push(
        ["bundle", "source", "resource"],
        _VALUE_CODE,
        `bundle.source.resource names no entry of manifest.resources: ${src.resource}` +
          (known.length > 0 ? ` (known: ${known.join(", ")})` : ""),
      );
    }
  }
  for (const path of loaded.nonStringKeys) push(path, _VALUE_CODE, "Keys must be strings", true);
  if (issues.length > 0 || !parsed.success) return { issues };
  const abs = resolve(options.path ?? file);
  return { manifest: { ...parsed.data, file, path: abs, dir: dirname(abs) }, issues: [] };
}

/**
 * Read and validate the manifest at `file` (relative to the cwd).
 * @throws {UsageError} `Bundle manifest not found: <path>` (exit 2)
 * @throws {ManifestError} every problem of an invalid manifest (exit 2)
 */
export async function loadManifest(file: string): Promise<BundleManifest> {
  const bytes = await readManifestBytes(file);
  const decoded = decodeSource(bytes);
  if ("issue" in decoded) throw new ManifestError(file, [{ ...decoded.issue, file }]);
  const result = parseManifest(decoded.text, { file });
  if (!result.manifest) throw new ManifestError(file, result.issues);
  return result.manifest;
}

function _mapIssue(
  iss: z.core.$ZodIssue,
  push: (path: PathSegment[], code: string, msg: string, key?: boolean) => void,
): void {
  const path = iss.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (iss.code === "unrecognized_keys") {
    const { allowed, other } = _keysInfo(iss.message, path);
    for (const key of iss.keys) {
      const loc = formatLoc([...path, key]);
      const hint = suggestKey(key, allowed);
      const tail = hint !== undefined
        ? ` (did you mean '${hint}'?)`
        : Object.hasOwn(other, key)
        ? ` (only valid for source.type=${other[key]})`
        : "";
      push([...path, key], _KEY_CODE, `Unknown bundle keys: ${loc}${tail}`, true);
    }
    return;
  }
  push(path, _VALUE_CODE, iss.message);
}

function _keysInfo(
  message: string,
  path: PathSegment[],
): { allowed: string[]; other: Record<string, string> } {
  if (!message.startsWith(KEYS_MARKER)) {
    // Plugin pins use the plugin lock's own schema (the same entries in both places).
    if (path[0] === "plugins" && path.length === 2) {
      return { allowed: Object.keys(PluginPinSchema.shape), other: {} };
    }
    if (path[0] === "plugins" && path[2] === "grants") {
      return { allowed: Object.keys(GrantsSchema.shape), other: {} };
    }
    return { allowed: [], other: {} };
  }
  return JSON.parse(message.slice(KEYS_MARKER.length));
}
