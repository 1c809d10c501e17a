/**
 * The validation pipeline (docs/validation.md): YAML -> schema -> semantic rules -> template scan -> profiles.
 * Every error is collected [D9]; the caller decides how to print and exit.
 * @module
 */
import { normalize } from "node:path";
import { MODE, readProfilesSource, resolveMode } from "../config/mod.ts";
import type { StepRegistry } from "../steps/registry.ts";
import { type ConnectorRegistry, resourceIssues } from "../connectors/mod.ts";
import type { Issue } from "../types.ts";
import { readFlowBytes } from "./_read_file.ts";
import { decodeSource, type LoadedYaml, loadYaml, parseLoc } from "./load_yaml.ts";
import { scanProfiles, validateProfiles } from "./profiles.ts";
import type { ValidationReport } from "./report.ts";
import type { FlowSpec } from "./flow_model.ts";
import { parseFlow } from "./parse_flow.ts";
import { checkSemantics } from "./semantic.ts";
import { scanFlowTemplates } from "./template_scan.ts";
import { stepConnectorIssues } from "./step_connectors.ts";

/** Options of {@linkcode validateFlow}. */
export interface ValidateFlowOptions {
  /** The flow path as given by the user (relative to the cwd or absolute). */
  flowPath: string;
  /** The env snapshot (docs/configuration.md) — the same one `run` uses [D10]. */
  snapshot: Readonly<Record<string, string>>;
  registry: StepRegistry;
  /**
   * The connectors the run will have: each resource's `kind:driver` must be registered and its config/options
   * must fit the driver's schemas. Omitted = resources' connectors are not checked.
   */
  connectors?: ConnectorRegistry;
  /** Missing env is an error; default: snapshot `AETHERFLOW_VALIDATE_ENV_STRICT` lower-cased == `true`. */
  strictEnv?: boolean;
  /** Enterprise archive driver allow-list (manifest `zip_drivers`); default empty (docs/validation.md rule 1). */
  archiveAllowList?: readonly string[];
  /** Base for a relative `AETHERFLOW_PROFILES_FILE`; default the cwd. */
  cwd?: string;
  /**
   * Called once the schema passed, before the semantic rules and scans: returns the snapshot to use from here on
   * (docs/configuration.md steps 5–6 need `flow.workspace.root`; e.g. engine/config `finalizeSnapshot`). The snapshot
   * used ends up in `report.snapshot`.
   */
  finalizeSnapshot?: (snapshot: Readonly<Record<string, string>>, flow: FlowSpec) =>
    | Promise<Readonly<Record<string, string>>>
    | Readonly<Record<string, string>>;
}

/** Options of {@linkcode validateFlowSource}: the flow given as bytes or text instead of a path. */
export interface ValidateFlowSourceOptions
  extends Omit<ValidateFlowOptions, "flowPath" | "finalizeSnapshot"> {
  /** The (normalised) path used in the report and in issue `file`. */
  flowYaml: string;
  source: Uint8Array | string;
}

/** `./v/x.yaml` -> `v/x.yaml`: the report path is normalised but never resolved (docs/validation.md). */
export function normalizeFlowPath(path: string): string {
  return normalize(path);
}

/**
 * Validate a flow file.
 * @throws {UsageError} when the file does not exist (`Flow file not found: <path>`) or cannot be read.
 */
export async function validateFlow(options: ValidateFlowOptions): Promise<ValidationReport> {
  const flowYaml = normalizeFlowPath(options.flowPath);
  const source = await readFlowBytes(options.flowPath);
  const stage = _loadStage({ ...options, flowYaml, source });
  if (!stage.flow) return stage.report;
  const snapshot = options.finalizeSnapshot
    ? await options.finalizeSnapshot(options.snapshot, stage.flow)
    : options.snapshot;
  return _checkStage(stage.report, stage.loaded, stage.flow, { ...options, snapshot });
}

/**
 * Validate flow source already in memory (no file access except a profiles file). Never throws on bad input.
 * @example Usage
 * ```ts
 * import { validateFlowSource } from "./validate.ts";
 * import { StepRegistry } from "../steps/registry.ts";
 * import assert from "node:assert/strict";
 * const report = validateFlowSource({
 *   flowYaml: "f.yaml", source: "flow: {id: d}\njobs: []\nnotes: x\n", snapshot: {}, registry: new StepRegistry(),
 * });
 * assert.deepEqual(report.errors.map((i) => i.loc), ["notes"]);
 * ```
 */
export function validateFlowSource(options: ValidateFlowSourceOptions): ValidationReport {
  const stage = _loadStage(options);
  if (!stage.flow) return stage.report;
  return _checkStage(stage.report, stage.loaded, stage.flow, options);
}

interface _Stage {
  report: ValidationReport;
  loaded: LoadedYaml;
  flow?: FlowSpec;
}

/** Steps 3–4 of docs/validation.md: decode, YAML, schema. A failure finishes the report. */
function _loadStage(options: ValidateFlowSourceOptions): _Stage {
  const file = options.flowYaml;
  const report: ValidationReport = {
    ok: false,
    errors: [],
    warnings: [],
    flow_yaml: file,
    snapshot: options.snapshot,
  };
  let text: string;
  if (typeof options.source === "string") {
    text = options.source;
  } else {
    const decoded = decodeSource(options.source);
    if ("issue" in decoded) {
      return { report: _finish(report, [{ ...decoded.issue, file }]), loaded: loadYaml("", file) };
    }
    text = decoded.text;
  }
  const loaded = loadYaml(text, file);
  report.warnings.push(...loaded.warnings);
  if (loaded.issues.length > 0) return { report: _finish(report, loaded.issues), loaded };
  const parsed = parseFlow(loaded.value, { nonStringKeys: loaded.nonStringKeys });
  if (!parsed.flow) return { report: _finish(report, _positioned(parsed.issues, loaded, file)), loaded };
  report.flow = parsed.flow;
  return { report, loaded, flow: parsed.flow };
}

/** Steps 5–8: semantic rules, template scan, profiles. */
function _checkStage(
  report: ValidationReport,
  loaded: LoadedYaml,
  flow: FlowSpec,
  options: Omit<ValidateFlowOptions, "flowPath" | "finalizeSnapshot">,
): ValidationReport {
  const file = report.flow_yaml;
  const snapshot = options.snapshot;
  report.snapshot = snapshot;
  const strictEnv = options.strictEnv ??
    (snapshot.AETHERFLOW_VALIDATE_ENV_STRICT ?? "").toLowerCase() === "true";
  const errors: Issue[] = checkSemantics(flow, {
    registry: options.registry,
    enterprise: resolveMode(snapshot) === MODE.ENTERPRISE,
    archiveAllowList: options.archiveAllowList ?? [],
  });
  // Profiles are read first only so a resource's config is checked with its profile merged in; their own
  // issues are reported below, in their usual place.
  const source = readProfilesSource(snapshot, options.cwd ? { cwd: options.cwd } : {});
  const checked = source.issues.length === 0 ? validateProfiles(source.raw) : undefined;
  if (options.connectors) {
    errors.push(...resourceIssues(flow.resources, {
      registry: options.connectors,
      profiles: checked?.issues.length === 0 ? checked.profiles : undefined,
    }));
    errors.push(...stepConnectorIssues(flow, {
      steps: options.registry,
      connectors: options.connectors,
      enterprise: resolveMode(snapshot) === MODE.ENTERPRISE,
    }));
  }
  const scan = scanFlowTemplates(flow, { snapshot, strictEnv });
  errors.push(...scan.errors);
  const warnings = [...scan.warnings];
  report.errors.push(..._positioned(errors, loaded, file));
  report.warnings.push(..._positioned(warnings, loaded, file));

  // Profiles (docs/validation.md): source problems, schema, scan of every profile, then unknown-profile warnings.
  const profileErrors: Issue[] = [...source.issues];
  const profileWarnings: Issue[] = [];
  if (checked !== undefined) {
    profileErrors.push(...checked.issues);
    if (checked.issues.length === 0) {
      report.profiles = checked.profiles;
      const pscan = scanProfiles(checked.profiles, { snapshot, strictEnv });
      profileErrors.push(...pscan.errors);
      profileWarnings.push(...pscan.warnings);
      for (const [name, res] of Object.entries(flow.resources)) {
        if (res.profile === null || Object.hasOwn(checked.profiles, res.profile)) continue;
        report.warnings.push(..._positioned(
          [{
            code: "semantic:unknown_profile",
            loc: `resources.${name}.profile`,
            msg: `Unknown profile '${res.profile}' for resource '${name}'`,
          }],
          loaded,
          file,
        ));
      }
      // The PostgreSQL state's URL may come from a profile too (docs/state.md "PostgreSQL").
      const state = flow.flow.state;
      if (
        state.backend === "postgres" && typeof state.profile === "string" && !state.profile.includes("{{") &&
        !Object.hasOwn(checked.profiles, state.profile)
      ) {
        report.warnings.push(..._positioned(
          [{
            code: "semantic:unknown_profile",
            loc: "flow.state.profile",
            msg: `Unknown profile '${state.profile}' for flow.state.profile`,
          }],
          loaded,
          file,
        ));
      }
    }
  }
  // The profiles file is parsed again only for positions, so only when there is an issue to place.
  const hasProfileIssues = profileErrors.length > 0 || profileWarnings.length > 0;
  const profLoaded = hasProfileIssues && source.file && source.text !== undefined
    ? loadYaml(source.text, source.file)
    : undefined;
  report.errors.push(..._positionedProfiles(profileErrors, profLoaded, source.file));
  report.warnings.push(..._positionedProfiles(profileWarnings, profLoaded, source.file));
  return _finish(report, []);
}

function _finish(report: ValidationReport, errors: Issue[]): ValidationReport {
  report.errors.push(...errors);
  report.ok = report.errors.length === 0;
  return report;
}

// Unknown-key style issues point at the key; the rest at the value (or the nearest existing ancestor).
const _KEY_CODES = new Set(["schema:extra_forbidden", "semantic:unknown_input", "yaml:duplicate_key"]);

function _positioned(issues: readonly Issue[], loaded: LoadedYaml, file: string): Issue[] {
  return issues.map((issue) => {
    const out: Issue = { ...issue, file: issue.file ?? file };
    if (out.line !== undefined) return out;
    const pos = loaded.locate(parseLoc(issue.loc), { key: _KEY_CODES.has(issue.code) });
    return pos ? { ...out, line: pos.line, col: pos.col } : out;
  });
}

function _positionedProfiles(
  issues: readonly Issue[],
  loaded: LoadedYaml | undefined,
  file?: string,
): Issue[] {
  return issues.map((issue) => {
    const out: Issue = file && !issue.file ? { ...issue, file } : { ...issue };
    if (!loaded || out.line !== undefined || !issue.loc.startsWith("profiles.")) return out;
    const pos = loaded.locate(parseLoc(issue.loc.slice("profiles.".length)), {
      key: _KEY_CODES.has(issue.code),
    });
    return pos ? { ...out, line: pos.line, col: pos.col } : out;
  });
}
