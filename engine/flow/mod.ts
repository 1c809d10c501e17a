/**
 * Flow loading and validation (docs/yaml-spec.md, docs/validation.md): YAML with positions, the zod models, semantic rules, the
 * template scan, profiles, and the report.
 * @module
 */
export {
  checkSourceText,
  decodeSource,
  formatLoc,
  loadYaml,
  MAX_YAML_BYTES,
  MAX_YAML_DEPTH,
  MAX_YAML_NODES,
  parseLoc,
} from "./load_yaml.ts";
export type { LoadedYaml, PathSegment, SourcePos } from "./load_yaml.ts";
export {
  DEFAULT_LAYOUT,
  DEFAULT_STATE_PATH,
  DEFAULT_WORKSPACE_ROOT,
  flowMetaSchema,
  flowSchema,
  jobSchema,
  profileSchema,
  profilesDocSchema,
  resourceSchema,
  stepSchema,
} from "./flow_model.ts";
export type {
  DecodeSpec,
  FlowMeta,
  FlowSpec,
  JobSpec,
  LocksSpec,
  ProfilesDoc,
  ProfileSpec,
  ResourceSpec,
  StateSpec,
  StepSpec,
  WorkspaceSpec,
} from "./flow_model.ts";
export { parseFlow } from "./parse_flow.ts";
export type { ParsedFlow } from "./parse_flow.ts";
export { checkSemantics, checkStep } from "./semantic.ts";
export type { SemanticOptions } from "./semantic.ts";
export { scanFlowTemplates, scanLeaf } from "./template_scan.ts";
export { referencedEnvKeys } from "./env_refs.ts";
export { flowToDot, flowToMermaid } from "./graph.ts";
export type { GraphFlow, GraphOptions } from "./graph.ts";
export type { ScanOptions, ScanResult } from "./template_scan.ts";
export { scanProfiles, validateProfiles } from "./profiles.ts";
export type { ValidatedProfiles } from "./profiles.ts";
export { normalizeFlowPath, validateFlow, validateFlowSource } from "./validate.ts";
export type { ValidateFlowOptions, ValidateFlowSourceOptions } from "./validate.ts";
export { formatIssueLine, formatReportJson, formatReportText } from "./report.ts";
export type { ValidationReport } from "./report.ts";
export { flowJsonSchema, profilesJsonSchema } from "./json_schema.ts";
export { collectStepHints } from "./step_hints.ts";
export { flowSecretValues } from "./secret_values.ts";
