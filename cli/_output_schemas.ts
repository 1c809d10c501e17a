/**
 * The JSON Schema of every `--json` output and of a JSON log line (docs/cli.md "JSON output"), written as zod
 * models and published as `docs/json-schemas/<name>.schema.json` by `deno task json-schemas`. A test runs each
 * command and validates what it prints against the published file.
 * @module
 */
import { z } from "zod";

const _ISO_REGEXP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const iso = z.string().regex(_ISO_REGEXP).describe("ISO 8601 UTC with milliseconds");
const ms = z.number().int().describe("epoch milliseconds");
const json = z.unknown();
const jsonObject = z.record(z.string(), z.unknown());

/**
 * `{code, loc, msg}` (+ `line`, `col`, and `file` when the issue is in another file than the command's own):
 * the issue shape of `validate --json`, used by every error.
 */
const issue = z.strictObject({
  code: z.string(),
  loc: z.string(),
  msg: z.string(),
  line: z.number().int().optional(),
  col: z.number().int().optional(),
  file: z.string().optional(),
});

/** Any command that failed under `--json`. */
const errorDoc = z.strictObject({ ok: z.literal(false), errors: z.array(issue).min(1) });

const plugin = z.strictObject({ name: z.string(), version: z.string(), sha256: z.string() });

const runSummary = z.strictObject({
  run_id: z.string(),
  flow_id: z.string(),
  status: z.enum(["RUNNING", "SUCCESS", "FAILED"]),
  stale: z.boolean().describe("RUNNING, but no live process holds its run lease"),
  exit_code: z.number().int().nullable(),
  started_at: iso,
  started_at_ms: ms,
  ended_at: iso.nullable(),
  ended_at_ms: ms.nullable(),
  duration_ms: z.number().int().nullable(),
  invocations: z.number().int(),
  flow_yaml: z.string().nullable(),
  flow_sha256: z.string().nullable(),
  version: z.string().nullable(),
  host: z.string().nullable(),
  pid: z.number().int().nullable(),
  plugins: z.array(plugin),
  bundle: jsonObject.nullable(),
  error: z.string().nullable(),
});

const runDetail = runSummary.extend({
  invoked_at: iso.nullable(),
  invoked_at_ms: ms.nullable(),
  workspace_root: z.string().nullable(),
  log_path: z.string().nullable(),
  env: z.record(z.string(), z.string().nullable()).nullable(),
  settings: jsonObject.nullable(),
});

const timing = {
  started_at: iso.nullable(),
  started_at_ms: ms.nullable(),
  ended_at: iso.nullable(),
  ended_at_ms: ms.nullable(),
  duration_ms: z.number().int().nullable(),
};

const step = z.strictObject({
  step_id: z.string(),
  step_type: z.string().nullable(),
  status: z.string(),
  ...timing,
  resumed: z.boolean(),
  inputs: jsonObject.nullable(),
  output: jsonObject.nullable(),
  promoted: jsonObject.nullable(),
});

const job = z.strictObject({
  job_id: z.string(),
  status: z.string(),
  ...timing,
  outputs: jsonObject.nullable(),
  skip_reason: z.string().nullable(),
  skip_trigger: z.string().nullable(),
  error: z.string().nullable(),
  steps: z.array(step),
});

const lock = z.strictObject({
  key: z.string(),
  owner: z.string(),
  host: z.string().nullable(),
  pid: z.number().int().nullable(),
  expires_at: iso,
  expires_at_ms: ms,
  expired: z.boolean(),
  alive: z.boolean().nullable().describe("null: cannot tell (another host, or no pid recorded)"),
  run_lease: z.boolean(),
});

const logHead = {
  ts_ms: ms,
  ts: iso,
  level: z.enum(["DEBUG", "INFO", "WARNING", "ERROR"]),
  logger: z.string(),
  run_id: z.string().optional(),
  job_id: z.string().optional(),
  step_id: z.string().optional(),
};

/** Every published schema, by file name (`<name>.schema.json`). */
export const OUTPUT_SCHEMAS = {
  "error": errorDoc,
  "log-line": z.union([
    z.looseObject({ ...logHead, event: z.string() }),
    z.looseObject({ ...logHead, message: z.string() }),
  ]),
  "validate": z.strictObject({
    ok: z.boolean(),
    errors: z.array(issue),
    warnings: z.array(issue),
    flow_yaml: z.string(),
  }),
  "doctor": z.strictObject({
    ok: z.boolean(),
    flow_yaml: z.string(),
    missing_env: z.array(issue),
    warnings: z.array(issue),
    connect: z.array(z.strictObject({
      resource: z.string(),
      kind: z.string(),
      driver: z.string(),
      status: z.enum(["OK", "FAIL", "SKIP"]),
      detail: z.string(),
      duration_ms: z.number().int(),
    })).optional().describe("with --connect: one probe per resource, in YAML order"),
    errors: z.array(issue),
  }),
  "explain": z.strictObject({
    ok: z.literal(true),
    flow_yaml: z.string(),
    resources: z.record(
      z.string(),
      z.strictObject({ kind: z.string(), driver: z.string(), profile: z.string(), decode: jsonObject }),
    ),
  }),
  "runs-list": z.strictObject({ ok: z.literal(true), state: z.string(), runs: z.array(runSummary) }),
  "runs-show": z.strictObject({
    ok: z.literal(true),
    state: z.string(),
    html: z.string().optional(),
    run_id: z.string(),
    run: runDetail.nullable(),
    jobs: z.array(job),
  }),
  "runs-diff": z.strictObject({
    ok: z.literal(true),
    state: z.string(),
    run_id: z.string(),
    status: z.string(),
    against: z.union([
      z.strictObject({ run_id: z.string(), status: z.string() }),
      z.strictObject({ flow_yaml: z.string() }),
    ]),
    changes: z.array(z.strictObject({
      kind: z.enum(["flow", "version", "plugin", "bundle", "env", "settings", "step_inputs"]),
      key: z.string(),
      before: json,
      after: json,
    })),
  }),
  "runs-prune": z.strictObject({
    ok: z.boolean(),
    state: z.string(),
    dry_run: z.boolean(),
    older_than: z.string(),
    cutoff: iso,
    cutoff_ms: ms,
    runs: z.array(z.strictObject({
      run_id: z.string(),
      flow_id: z.string().nullable(),
      status: z.string().nullable(),
      last_at: iso,
      last_at_ms: ms,
      dirs: z.array(z.string()),
      log_path: z.string().nullable(),
      deleted: z.boolean(),
      rows: z.number().int(),
      error: z.string().optional(),
    })),
    skipped: z.array(z.strictObject({ run_id: z.string(), reason: z.string() })),
  }),
  "locks-list": z.strictObject({ ok: z.literal(true), state: z.string(), locks: z.array(lock) }),
  "locks-release": z.strictObject({ ok: z.literal(true), state: z.string(), released: lock }),
  "state-migrate": z.strictObject({
    ok: z.literal(true),
    from: z.string(),
    to: z.string(),
    tables: z.array(z.strictObject({
      table: z.enum(["runs", "job_runs", "step_runs", "schedule_fires"]),
      source: z.number().int(),
      unchanged: z.number().int(),
      verified: z.number().int(),
    })),
  }),
  "bundle-sync": z.strictObject({
    ok: z.literal(true),
    bundle_manifest: z.string().describe("as typed"),
    local_root: z.string().describe("the stable <bundle root>/active"),
    active_dir: z.string(),
    cache_dir: z.string(),
    fingerprints_dir: z.string(),
    fingerprint: z.string(),
    changed: z.boolean(),
    fetched_files: z.array(z.string()),
    commit: z.string().optional().describe("git sources: the resolved commit of the active bundle"),
  }),
  "bundle-status": z.strictObject({
    ok: z.literal(true),
    bundle_manifest: z.string(),
    bundle_id: z.string(),
    work_root: z.string(),
    bundle_root: z.string(),
    active_dir: z.string(),
    cache_dir: z.string(),
    fingerprints_dir: z.string(),
    fingerprint: z.string().nullable().describe("null before the first sync"),
    has_active: z.boolean(),
  }),
  "schedule-validate": z.strictObject({
    ok: z.boolean(),
    errors: z.array(issue),
    warnings: z.array(issue),
    scheduler_yaml: z.string(),
  }),
  "schedule-next": z.strictObject({
    ok: z.literal(true),
    items: z.array(z.strictObject({
      id: z.string(),
      cron: z.string(),
      timezone: z.string(),
      next: z.array(z.strictObject({ local: z.string(), utc: iso, utc_ms: ms })),
    })),
  }),
  "plugin-inspect": z.strictObject({
    ok: z.boolean(),
    path: z.string(),
    sha256: z.string(),
    size: z.number().int(),
    exports: z.array(z.string()),
    imports: z.array(z.string()),
    descriptor: json,
    errors: z.array(issue),
  }),
  "plugin-verify": z.strictObject({
    ok: z.boolean(),
    lock: z.string(),
    pins: z.array(z.strictObject({
      path: z.string(),
      ok: z.boolean(),
      plugin: z.string().optional(),
      sha256: z.string().optional(),
      error: z.string().optional(),
    })),
    errors: z.array(issue),
  }),
  "settings": z.strictObject({
    ok: z.literal(true),
    settings: jsonObject,
    sources: z.record(z.string(), z.string()),
    settings_file: z.string().nullable(),
  }),
  "init": z.strictObject({
    ok: z.literal(true),
    dir: z.string(),
    files: z.array(z.string()),
    next: z.array(z.string()),
  }),
} as const;

export type OutputSchemaName = keyof typeof OUTPUT_SCHEMAS;

/** The JSON Schema (draft 2020-12) of one output, as published. */
export function outputJsonSchema(name: OutputSchemaName): Record<string, unknown> {
  const schema = z.toJSONSchema(OUTPUT_SCHEMAS[name], { io: "output", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    title: `aetherflow ${name.replace("-", " ")} --json`,
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}
