/**
 * The plugin ABI, version 1: export and host-function names, the JSON envelopes that cross the boundary and
 * the zod schemas the host checks them with (docs/plugin-abi.md). Frozen within major version 1: fields may be
 * added, none removed or changed in meaning; unknown fields are ignored (schemas are not strict).
 *
 * @example Usage
 * ```ts
 * import { ABI_MAJOR, PluginDescriptorSchema } from "./mod.ts";
 * const d = PluginDescriptorSchema.parse({ abi: 1, name: "x", version: "1.0.0" });
 * if (d.abi !== ABI_MAJOR) throw new Error("unsupported");
 * ```
 * @module
 */
import { z } from "zod";
import type { JsonObject, JsonValue } from "../../engine/types.ts";
import { parseHostPattern } from "./host_pattern.ts";

/** The ABI major version this host speaks. */
export const ABI_MAJOR = 1;

/** Export names (docs/plugin-abi.md "Exports a plugin provides"). */
export const EXPORTS = {
  describe: "aetherflow_describe",
  step: "aetherflow_step",
  connector: "aetherflow_connector",
  decode: "aetherflow_decode",
  expandEnv: "aetherflow_expand_env",
} as const;

/** Host functions in `extism:host/user`; each takes one JSON string and returns one JSON string. */
export const HOST_NAMESPACE = "extism:host/user";
export const HOST_FUNCTIONS = { log: "af_log", connectorCall: "af_connector_call" } as const;

const _json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(_json), z.record(z.string(), _json)])
);
const _jsonObject = z.record(z.string(), _json);

function _hostPatternSchema(allowAny: boolean) {
  return z.string().superRefine((text, ctx) => {
    const parsed = parseHostPattern(text, { allowAny });
    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
  });
}
/** One entry of `grants.hosts`: the strict grammar of host_pattern.ts, checked where it is written. */
export const HostPatternSchema = _hostPatternSchema(false);
/** One entry of `capabilities.hosts`: the same grammar, plus a bare `*` (any host the operator grants). */
export const RequestedHostPatternSchema = _hostPatternSchema(true);

export const StepDescriptorSchema = z.object({
  type: z.string().min(1),
  description: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
});

export const ConnectorDescriptorSchema = z.object({
  kind: z.string().min(1),
  driver: z.string().min(1),
  methods: z.array(z.string()).default([]),
});

export const CapabilitiesSchema = z.object({
  hosts: z.array(RequestedHostPatternSchema).default([]),
  files: z.string().optional(),
  resources: z.array(z.string()).default([]),
  // A request for further directories (guest paths); the operator maps them in `grants.dirs`.
  dirs: z.array(z.string()).default([]),
});

/** What `aetherflow_describe` returns. */
export const PluginDescriptorSchema = z.object({
  abi: z.number(),
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, '_', '.', '-'"),
  version: z.string().min(1),
  steps: z.array(StepDescriptorSchema).default([]),
  connectors: z.array(ConnectorDescriptorSchema).default([]),
  secrets: z.boolean().default(false),
  capabilities: CapabilitiesSchema.default({ hosts: [], resources: [], dirs: [] }),
});
export type PluginDescriptor = z.infer<typeof PluginDescriptorSchema>;
export type StepDescriptor = z.infer<typeof StepDescriptorSchema>;
export type ConnectorDescriptor = z.infer<typeof ConnectorDescriptorSchema>;
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** What the host sends to `aetherflow_step`. */
export interface StepCall {
  type: string;
  flow_id: string;
  job_id: string;
  run_id: string;
  step_id: string;
  inputs: JsonObject;
  work_dir?: string;
  host_work_dir?: string;
  dirs?: Record<string, string>;
}

/** What `aetherflow_step` returns; a missing status means SUCCESS. */
export const StepResultEnvelopeSchema = z.object({
  status: z.string().optional(),
  outputs: _jsonObject.optional(),
  reason: z.string().optional(),
});
export type StepResultEnvelope = z.infer<typeof StepResultEnvelopeSchema>;

/** What the host sends to `aetherflow_connector`. */
export interface ConnectorCall {
  resource: string;
  kind: string;
  driver: string;
  config: JsonObject;
  options: JsonObject;
  method: string;
  args: JsonObject;
  /** Guest path -> host path of the granted directories and of this call's local files (`/local/<n>`). */
  dirs?: Record<string, string>;
}
export const ConnectorResultSchema = z.object({ result: _json.optional() });

export const DecodeResultSchema = z.object({ value: z.string() });
export const ExpandEnvResultSchema = z.object({ env: z.record(z.string(), z.string()) });

export const LogRequestSchema = z.object({
  level: z.string().default("info"),
  message: z.string(),
  fields: _jsonObject.optional(),
});
export const ConnectorCallRequestSchema = z.object({
  resource: z.string(),
  method: z.string(),
  args: _jsonObject.default({}),
});

/** One further directory the operator grants: guest path -> host path, read-only or read-write. */
export const DirGrantSchema = z.strictObject({
  path: z.string().min(1),
  mode: z.enum(["ro", "rw"]).default("ro"),
});

/** What the operator grants next to a pin (docs/plugin-abi.md "Grants"); absent = nothing / default limit. */
export const GrantsSchema = z.strictObject({
  hosts: z.array(HostPatternSchema).default([]),
  files: z.enum(["artifacts", "none"]).default("none"),
  dirs: z.record(z.string(), DirGrantSchema).default({}),
  resources: z.array(z.string()).default([]),
  timeout_ms: z.number().int().positive().optional(),
  memory_mb: z.number().int().positive().optional(),
  max_output_bytes: z.number().int().positive().optional(),
});
export type Grants = z.infer<typeof GrantsSchema>;
export type GrantsInput = z.input<typeof GrantsSchema>;
