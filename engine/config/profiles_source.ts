/**
 * Where profiles come from (docs/validation.md, docs/configuration.md): `AETHERFLOW_PROFILES_JSON` (JSON text) or
 * `AETHERFLOW_PROFILES_FILE` (YAML path). Returns the raw document; the schema check lives in engine/flow.
 * @module
 */
import { parse, YAMLError } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";
import { yamlBudgetProblem } from "../yaml_budget.ts";
import type { Issue } from "../types.ts";
import { absolutePath, currentDir, pathKind, readUtf8 } from "./_io.ts";
import { parseErrorReason } from "./_parse_errors.ts";
import type { Snapshot } from "./snapshot.ts";

export interface ProfilesSource {
  /** The parsed document (`{}` for an empty one), or `null` when no profiles are configured or it is invalid. */
  raw: unknown | null;
  /** Absolute path of the profiles file, when `AETHERFLOW_PROFILES_FILE` is used. */
  file?: string;
  /** The file's text, so callers can map `profiles.<p>.<key>` locs to lines. */
  text?: string;
  /** `semantic:profiles_conflict` / `semantic:profiles_invalid` at loc `profiles`. */
  issues: Issue[];
}

export interface ReadProfilesSourceOptions {
  /** Base for a relative `AETHERFLOW_PROFILES_FILE`; defaults to the current working directory. */
  cwd?: string;
}

export const PROFILES_CONFLICT_MSG = "Set only one of AETHERFLOW_PROFILES_JSON or AETHERFLOW_PROFILES_FILE";

function _invalid(detail: string, extra: Partial<Issue> = {}): Issue {
  return {
    code: "semantic:profiles_invalid",
    loc: "profiles",
    msg: `Invalid profile configuration: ${detail}`,
    ...extra,
  };
}

// Python's `x or {}`: an empty or falsy document means "no profiles" (upstream parity).
function _orEmpty(doc: unknown): unknown {
  return doc === null || doc === undefined || doc === false || doc === 0 || doc === "" ||
      (Array.isArray(doc) && doc.length === 0)
    ? {}
    : doc;
}

function _readFile(path: string): ProfilesSource {
  const kind = pathKind(path);
  if (kind === "missing") {
    return { raw: null, file: path, issues: [_invalid(`Profiles file not found: ${path}`)] };
  }
  if (kind !== "file") return { raw: null, file: path, issues: [_invalid(`Not a file: ${path}`)] };
  let text: string;
  try {
    text = readUtf8(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { raw: null, file: path, issues: [_invalid(`Cannot read ${path}: ${why}`)] };
  }
  const tooMany = yamlBudgetProblem(text);
  if (tooMany) return { raw: null, file: path, issues: [_invalid(tooMany, { file: path })] };
  try {
    return { raw: _orEmpty(parse(text, YAML11_OPTIONS)), file: path, text, issues: [] };
  } catch (err) {
    const pos = err instanceof YAMLError ? err.linePos?.[0] : undefined;
    const why = parseErrorReason(err);
    const where = pos ? { line: pos.line, col: pos.col } : {};
    return { raw: null, file: path, text, issues: [_invalid(why, { ...where, file: path })] };
  }
}

/**
 * Read the profiles document named by the snapshot. Problems are returned as issues (never thrown), so
 * validate can report them with everything else [D9].
 */
export function readProfilesSource(
  snapshot: Snapshot,
  options: ReadProfilesSourceOptions = {},
): ProfilesSource {
  const json = (snapshot.AETHERFLOW_PROFILES_JSON ?? "").trim();
  const file = (snapshot.AETHERFLOW_PROFILES_FILE ?? "").trim();
  if (json !== "" && file !== "") {
    return {
      raw: null,
      issues: [{ code: "semantic:profiles_conflict", loc: "profiles", msg: PROFILES_CONFLICT_MSG }],
    };
  }
  if (json !== "") {
    try {
      return { raw: _orEmpty(JSON.parse(json)), issues: [] };
    } catch (err) {
      return {
        raw: null,
        issues: [_invalid(`AETHERFLOW_PROFILES_JSON is not valid JSON: ${parseErrorReason(err)}`)],
      };
    }
  }
  if (file !== "") return _readFile(absolutePath(file, options.cwd ?? currentDir()));
  return { raw: null, issues: [] };
}
