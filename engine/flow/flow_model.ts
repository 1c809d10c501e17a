/**
 * The flow and profiles models (docs/yaml-spec.md) as zod schemas, with the docs/yaml-spec.md coercions. The same source feeds
 * validation and `aetherflow schema` (JSON Schema).
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { osTempDir } from "./_tmp_dir.ts";
import { enumField, intField, modelObject, nullableString, ONLY_MAP, optionalMap } from "./_fields.ts";

const _tmp = osTempDir();
/** Defaults that depend on the OS temp dir (docs/yaml-spec.md). */
export const DEFAULT_WORKSPACE_ROOT: string = join(_tmp, "work");
export const DEFAULT_STATE_PATH: string = join(_tmp, "state", "aetherflow.sqlite");
export const DEFAULT_LAYOUT: Readonly<Record<string, string>> = Object.freeze({
  artifacts: "artifacts",
  scratch: "scratch",
  manifests: "manifests",
});
const _LAYOUT_KEYS = ["artifacts", "scratch", "manifests"] as const;

const _layout = z.record(z.string(), z.string()).superRefine((value, ctx) => {
  // A given layout replaces the default wholesale, so the three dirs the runner needs must be there [ours].
  for (const key of _LAYOUT_KEYS) {
    if (!(key in value)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: "Field required",
        params: { code: "schema:missing" },
      });
    }
  }
});

export const workspaceSchema = modelObject("WorkspaceSpec", {
  root: z.string().default(DEFAULT_WORKSPACE_ROOT),
  cleanup_policy: enumField(["on_success", "always", "never"]).default("on_success"),
  layout: _layout.default(() => ({ ...DEFAULT_LAYOUT })),
});

export const stateSchema = modelObject("StateSpec", {
  // sqlite (a file per host; `file` is upstream's name for it) or postgres (one database for many hosts),
  // docs/state.md "Backends".
  backend: enumField(["sqlite", "file", "postgres"]).default("sqlite"),
  path: z.string().default(DEFAULT_STATE_PATH),
  // postgres: the database URL (templated, e.g. "{{env.STATE_DB_URL}}"); null = the setting state_url.
  url: nullableString(),
  // postgres: a profile whose config.url gives the URL when `url` is not set (docs/state.md "PostgreSQL").
  profile: nullableString(),
  // postgres: the schema holding the tables.
  schema: z.string().default("public"),
});

export const locksSchema = modelObject("LocksSpec", {
  scope: enumField(["none", "job", "flow"]).default("job"),
  ttl_seconds: intField().default(3600),
});

export const flowMetaSchema = modelObject("FlowMetaSpec", {
  id: z.string(),
  description: nullableString(),
  // prefault: a missing block gets the inner defaults; `null` stays an error (schema:model_type).
  workspace: workspaceSchema.prefault({}),
  state: stateSchema.prefault({}),
  locks: locksSchema.prefault({}),
});

// Keys fixed [D6]; values free-form here — the decode request rules are applied by the template scan and at
// run time (docs/validation.md 1b, docs/templating.md).
export const decodeSchema = modelObject("DecodeSpec", {
  config: z.unknown().optional(),
  options: z.unknown().optional(),
  config_paths: z.unknown().optional(),
  options_paths: z.unknown().optional(),
}, { dictMessage: true });

export const resourceSchema = modelObject("ResourceSpec", {
  kind: z.string(),
  driver: z.string(),
  profile: nullableString(),
  config: optionalMap(),
  options: optionalMap(),
  decode: decodeSchema.prefault({}),
});

export const stepSchema = modelObject("StepSpec", {
  id: z.string(),
  type: z.string(),
  inputs: optionalMap(),
  on_no_data: enumField(["skip_job"]).nullable().default(null),
  outputs: optionalMap(),
});

export const jobSchema = modelObject("JobSpec", {
  id: z.string(),
  description: nullableString(),
  depends_on: z.array(z.string()).default(() => []),
  when: nullableString(),
  steps: z.array(stepSchema),
});

export const flowSchema = modelObject("FlowSpec", {
  version: intField().default(1),
  flow: flowMetaSchema,
  resources: z.record(z.string(), resourceSchema, ONLY_MAP).default(() => ({})),
  jobs: z.array(jobSchema),
});

/** A profile (docs/yaml-spec.md): `config`, `options`, `decode` only — no `kind`, no `env` [D6]. */
export const profileSchema = modelObject("ProfileSpec", {
  config: optionalMap(),
  options: optionalMap(),
  decode: decodeSchema.prefault({}),
});

export const profilesDocSchema = z.record(z.string(), profileSchema, ONLY_MAP);

export type FlowSpec = z.output<typeof flowSchema>;
export type FlowMeta = z.output<typeof flowMetaSchema>;
export type WorkspaceSpec = z.output<typeof workspaceSchema>;
export type StateSpec = z.output<typeof stateSchema>;
export type LocksSpec = z.output<typeof locksSchema>;
export type ResourceSpec = z.output<typeof resourceSchema>;
export type DecodeSpec = z.output<typeof decodeSchema>;
export type JobSpec = z.output<typeof jobSchema>;
export type StepSpec = z.output<typeof stepSchema>;
export type ProfileSpec = z.output<typeof profileSchema>;
export type ProfilesDoc = z.output<typeof profilesDocSchema>;
