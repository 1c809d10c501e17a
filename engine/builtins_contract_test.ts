// The one contract suite of the built-in steps and connector drivers (docs/architecture.md "Step contract",
// "Connector contract"). It loops over every registered built-in: a built-in without a row here fails, so each new
// step or driver adds its row (minimal valid inputs, required inputs, wrong types, templated inputs).
import assert from "node:assert/strict";
import { ConnectorRegistry, fitToKind, isConnectorKind, resourceIssues } from "./connectors/mod.ts";
import { ConnectorAccessor } from "./connectors/accessor.ts";
import { BUILTIN_CONNECTORS } from "./connectors/builtins.ts";
import { StepError } from "./errors.ts";
import { formatPath, valueAt } from "./inputs/mod.ts";
import { BUILTIN_STEPS } from "./steps/builtins.ts";
import { parseStepInputs, stepInputIssues } from "./steps/inputs.ts";
import { StepRegistry } from "./steps/registry.ts";
import type { AnyStepDefinition } from "./steps/types.ts";

interface StepRow {
  /** Minimal valid raw inputs. */
  valid: Record<string, unknown>;
  /** Required inputs, in declaration order (dotted paths). */
  required: string[];
  /** Validate code when one required input is missing, if the step has a more specific one. */
  missingCode?: Record<string, string>;
  /**
   * [path, wrong value, run message, loc when not the path]; validate reports `semantic:invalid_input` (or
   * `invalidCode`) there.
   */
  wrongType: [string, unknown, string, string?][];
  invalidCode?: Record<string, string>;
  /** Inputs that may hold a `{{…}}` template at validate time. */
  templated: string[];
}

// The sftp_* / smb_* steps come from one factory per operation: the same rows for both prefixes.
function _filesRows(prefix: "sftp" | "smb"): Record<string, StepRow> {
  const files = [{ path: "/in/a.csv", rel_path: "a.csv" }];
  return {
    [`${prefix}_list_files`]: {
      valid: { resource: "r", remote_dir: "/in" },
      required: ["resource", "remote_dir"],
      wrongType: [
        ["recursive", "maybe", `${prefix}_list_files inputs.recursive must be a boolean`],
        ["min_count", "2.5", `${prefix}_list_files inputs.min_count must be an integer`],
        ["resource", "", `${prefix}_list_files inputs.resource must be a non-empty string`],
      ],
      templated: ["resource", "remote_dir", "pattern", "recursive", "min_count"],
    },
    [`${prefix}_download_files`]: {
      valid: { resource: "r", files, dest_dir: "inbox" },
      required: ["resource", "files", "dest_dir"],
      wrongType: [
        [
          "files",
          [{ rel_path: "a" }],
          `${prefix}_download_files inputs.files must be a list of file entries (maps with path and rel_path) or paths`,
        ],
        ["dest_dir", 3, `${prefix}_download_files inputs.dest_dir must be a path string`],
      ],
      templated: ["resource", "files", "dest_dir"],
    },
    [`${prefix}_delete_files`]: {
      valid: { resource: "r", files },
      required: ["resource", "files"],
      wrongType: [[
        "files",
        [1],
        `${prefix}_delete_files inputs.files must be a list of file entries (maps with path and rel_path) or paths`,
      ]],
      templated: ["resource", "files"],
    },
  };
}

const STEP_ROWS: Record<string, StepRow> = {
  ..._filesRows("sftp"),
  ..._filesRows("smb"),
  sftp_upload_files: {
    valid: { resource: "r", items: ["a.csv"], remote_dir: "/out" },
    required: ["resource", "items", "remote_dir"],
    wrongType: [
      [
        "items",
        [{ file: "a", nope: 1 }],
        "sftp_upload_files inputs.items must be a list of paths or maps {file, id?, remote_name?} (non-empty strings)",
      ],
      ["parallelism.workers", 0, "sftp_upload_files inputs.parallelism.workers must be >= 1"],
      [
        "parallelism.fail_fast",
        "perhaps",
        "sftp_upload_files inputs.parallelism.fail_fast must be a boolean",
      ],
    ],
    templated: ["resource", "items", "remote_dir", "parallelism.enabled", "parallelism.workers"],
  },
  smb_upload_files: {
    valid: { resource: "r", local_files: ["out/a.zip"], remote_dir: "Share:/out" },
    required: ["resource", "local_files", "remote_dir"],
    wrongType: [[
      "local_files",
      [3],
      "smb_upload_files inputs.local_files[0] must be a non-empty string",
      "local_files[0]",
    ]],
    templated: ["resource", "local_files", "remote_dir"],
  },
  db_extract: {
    valid: { resource: "db", sql: "select 1", output: "out.tsv" },
    required: ["resource", "sql", "output"],
    wrongType: [
      ["format", "xml", "Unsupported format: xml"],
      ["resource", "", "db_extract inputs.resource must be a non-empty string"],
      ["output", 5, "db_extract inputs.output must be a path string"],
    ],
    templated: ["resource", "sql", "output", "format", "params"],
  },
  db_extract_stream: {
    valid: { resource: "db", sql: "select 1", output: "out.csv" },
    required: ["resource", "sql", "output"],
    wrongType: [
      ["format", "xml", "db_extract_stream unsupported format: xml"],
      ["include_header", "maybe", "db_extract_stream inputs.include_header must be a boolean"],
      ["fetch_size", 0, "db_extract_stream inputs.fetch_size must be >= 1"],
      ["dtypes", [1], "dtypes must be a dict (mapping column -> type)"],
      ["dtypes_json", "{oops", "dtypes must be a dict (mapping column -> type)"],
      ["file.delimiter", 5, "db_extract_stream inputs.file.delimiter must be a string"],
    ],
    templated: ["resource", "sql", "output", "format", "fetch_size", "dtypes", "file", "params"],
  },
  db_fetch_small: {
    valid: { resource: "db", sql: "select 1" },
    required: ["resource", "sql"],
    wrongType: [
      ["max_rows", "many", "db_fetch_small inputs.max_rows must be an integer"],
      ["fetch_size", 0, "db_fetch_small inputs.fetch_size must be >= 1"],
    ],
    templated: ["resource", "sql", "params", "max_rows", "fetch_size"],
  },
  check_items: {
    valid: { items: [1] },
    required: ["items"],
    wrongType: [
      ["items", 3, "check_items expects 'items' to be a list or a comma-separated string"],
      ["min_count", "2.5", "check_items inputs.min_count must be an integer"],
    ],
    templated: ["items", "min_count"],
  },
  excel_fill_from_file: {
    valid: { template_path: "t.xlsx", output: "o.xlsx", targets: [{ source_path: "a.csv" }] },
    required: ["template_path", "output", "targets"],
    wrongType: [
      ["output", 5, "excel_fill_from_file inputs.output must be a path string"],
      ["rows_threshold", "many", "excel_fill_from_file inputs.rows_threshold must be an integer"],
      ["targets", ["x"], "excel_fill_from_file inputs.targets[0] must be a map", "targets[0]"],
      [
        "targets.0.read_header",
        "maybe",
        "excel_fill_from_file inputs.targets[0].read_header must be a boolean",
        "targets[0].read_header",
      ],
    ],
    templated: ["template_path", "output", "targets", "rows_threshold"],
  },
  excel_fill_small: {
    valid: { template_path: "t.xlsx", output: "o.xlsx", targets: [{ sheet: "S", cell: "A1" }] },
    required: ["template_path", "output", "targets"],
    wrongType: [
      ["template_path", "", "excel_fill_small inputs.template_path must be a path string"],
      [
        "targets.0.header_clear",
        "maybe",
        "excel_fill_small inputs.targets[0].header_clear must be a boolean",
        "targets[0].header_clear",
      ],
      [
        "targets.0.max_rows",
        "x",
        "excel_fill_small inputs.targets[0].max_rows must be an integer",
        "targets[0].max_rows",
      ],
    ],
    templated: ["template_path", "output", "targets"],
  },
  excel_validate_template: {
    valid: { template_path: "t.xlsx", required_names: ["A"] },
    required: ["template_path", "required_names"],
    wrongType: [
      ["required_names", { a: 1 }, 'required_names must be a list of strings {"a":1}'],
      ["sheet", ["x"], "excel_validate_template inputs.sheet must be a string"],
    ],
    templated: ["template_path", "required_names", "sheet"],
  },
  "external.process": {
    valid: { command: ["true"] },
    required: ["command"],
    missingCode: { command: "semantic:external_process_missing_command" },
    wrongType: [
      ["shell", "maybe", "external.process inputs.shell must be a boolean"],
      ["timeout_seconds", "soon", "external.process inputs.timeout_seconds must be a number"],
      ["retry.max_attempts", 0, "external.process inputs.retry.max_attempts must be >= 1"],
      ["log.stdout", "pipe", "Unknown log mode: pipe"],
      [
        "success.exit_codes",
        ["x"],
        "external.process inputs.success.exit_codes[0] must be an integer",
        "success.exit_codes[0]",
      ],
      ["env", [1], "external.process inputs.env must be a map"],
    ],
    invalidCode: { "log.stdout": "semantic:external_process_log_mode" },
    templated: ["command", "shell", "timeout_seconds", "log", "retry.max_attempts", "env"],
  },
  mail_send: {
    valid: { resource: "mailer", to: "a@example.test", subject: "s", body: "b" },
    required: ["resource", "to", "subject", "body"],
    wrongType: [
      ["html", "maybe", "mail_send inputs.html must be a boolean"],
      ["to", [3], "mail_send inputs.to[0] must be a non-empty string", "to[0]"],
      ["cc", [""], "mail_send inputs.cc[0] must be a non-empty string", "cc[0]"],
      ["attachments", [5], "mail_send inputs.attachments[0] must be a path or a map", "attachments[0]"],
    ],
    templated: ["resource", "to", "subject", "body", "html", "cc", "bcc", "attachments"],
  },
  unzip: {
    valid: { archives: ["in/a.zip"], dest_dir: "out" },
    required: ["archives", "dest_dir"],
    wrongType: [
      ["archives", 5, "Archives must be a list of Path 5 "],
      ["archives", [3], "unzip inputs.archives[0] must be a path string", "archives[0]"],
      ["members", "a.txt", "unzip inputs.members must be a list when provided"],
      ["overwrite", "maybe", "unzip inputs.overwrite must be a boolean"],
      ["private_zip_folder", 2, "unzip inputs.private_zip_folder must be a boolean"],
    ],
    templated: ["archives", "dest_dir", "members", "password", "overwrite", "resource"],
  },
  with_lock: {
    valid: { lock_key: "k", step: { type: "check_items", inputs: { items: [] } } },
    required: ["lock_key", "step"],
    wrongType: [
      ["lock_key", "", "with_lock inputs.lock_key must be a non-empty string"],
      ["step", "x", "with_lock inputs.step must be a map"],
      ["ttl_seconds", 1.5, "with_lock inputs.ttl_seconds must be an integer"],
      ["wait_seconds", -1, "with_lock inputs.wait_seconds must be >= 0"],
    ],
    templated: ["lock_key", "step", "ttl_seconds", "wait_seconds"],
  },
  zip: {
    valid: { dest_path: "out/a.zip", items: ["data"] },
    required: ["dest_path", "items"],
    wrongType: [
      ["items", "data", "zip inputs.items must be a list"],
      ["items", [{}], "zip inputs item dict must have 'path' or 'glob'", "items[0]"],
      ["items", [7], "zip inputs.items[0] must be a path string or a map with 'path' or 'glob'", "items[0]"],
      ["recursive", "maybe", "zip inputs.recursive must be a boolean"],
      ["password", ["x"], "zip inputs.password must be a string"],
    ],
    templated: ["dest_path", "items", "password", "recursive", "compression", "connector"],
  },
};

/** `value` with `path` (dotted) set to `leaf`, or removed when `leaf` is undefined. */
function _with(value: Record<string, unknown>, path: string, leaf: unknown): Record<string, unknown> {
  const out = structuredClone(value);
  const keys = path.split(".");
  let cur: Record<string, unknown> = out;
  for (const key of keys.slice(0, -1)) {
    if (typeof cur[key] !== "object" || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (leaf === undefined) delete cur[last];
  else cur[last] = leaf;
  return out;
}

function _brief(issues: { code: string; loc: string }[]): string[] {
  return issues.map((i) => `${i.loc} ${i.code}`);
}

function _runError(def: AnyStepDefinition, inputs: Record<string, unknown>): StepError {
  try {
    parseStepInputs(def, inputs, "s");
  } catch (err) {
    assert.ok(err instanceof StepError, String(err));
    return err;
  }
  assert.fail(`${def.type} accepted ${JSON.stringify(inputs)}`);
}

Deno.test("every built-in step has a contract row, a schema and a unique type", () => {
  assert.deepEqual(BUILTIN_STEPS.map((d) => d.type).sort(), Object.keys(STEP_ROWS).sort());
  const registry = StepRegistry.withBuiltins();
  for (const def of BUILTIN_STEPS) {
    assert.equal(def.origin, "builtin");
    assert.ok(def.inputs, `${def.type} declares its inputs schema`);
    assert.equal(registry.get(def.type), def);
  }
});

for (const def of BUILTIN_STEPS) {
  const row = STEP_ROWS[def.type];
  if (!row) continue;
  Deno.test(`step contract: ${def.type}`, async (t) => {
    await t.step("minimal valid inputs pass validation and parse", () => {
      assert.deepEqual(stepInputIssues(def, row.valid), []);
      parseStepInputs(def, row.valid, "s");
    });

    await t.step("an unknown input is semantic:unknown_input with a hint, Unknown input at run time", () => {
      const first = Object.keys(row.valid)[0]!;
      const typo = `${first}x`;
      const raw = { ...row.valid, [typo]: 1, zz_unknown: 1 };
      const issues = stepInputIssues(def, raw);
      assert.deepEqual(issues.map((i) => [i.code, i.loc, i.msg]), [
        ["semantic:unknown_input", typo, `Extra inputs are not permitted (did you mean '${first}'?)`],
        ["semantic:unknown_input", "zz_unknown", "Extra inputs are not permitted"],
      ]);
      const err = _runError(def, { ...row.valid, zz_unknown: 1 });
      assert.deepEqual([err.code, err.message], ["step:unknown_input", "Unknown input zz_unknown"]);
    });

    await t.step("missing required inputs: one issue each, one run message in declaration order", () => {
      for (const path of row.required) {
        const issues = stepInputIssues(def, _with(row.valid, path, undefined));
        const code = row.missingCode?.[path] ?? "semantic:missing_input";
        assert.deepEqual(_brief(issues), [`${path} ${code}`]);
      }
      let none = row.valid;
      for (const path of row.required) none = _with(none, path, undefined);
      const err = _runError(def, none);
      assert.deepEqual(
        [err.code, err.message],
        ["step:missing_inputs", `Step s missing inputs: ${JSON.stringify(row.required)}`],
      );
    });

    await t.step("a wrong type is reported at validate time and fails the step at run time", () => {
      for (const [path, value, message, loc] of row.wrongType) {
        const raw = _with(row.valid, path, value);
        const code = row.invalidCode?.[path] ?? "semantic:invalid_input";
        assert.deepEqual(_brief(stepInputIssues(def, raw)), [`${loc ?? path} ${code}`], path);
        const err = _runError(def, raw);
        assert.deepEqual([err.code, err.message], ["step:invalid_input", message], path);
      }
    });

    await t.step("a templated value is not judged at validate time", () => {
      for (const path of row.templated) {
        const raw = _with(row.valid, path, "{{steps.x.y}}");
        assert.deepEqual(stepInputIssues(def, raw), [], path);
        assert.notEqual(valueAt(raw, path.split(".")), undefined);
      }
    });
  });
}

interface ConnectorRow {
  config: Record<string, unknown>;
  options?: Record<string, unknown>;
  /** Free-form config (any key accepted): no unknown-key row. */
  freeForm?: boolean;
  required: string[];
  wrongType: [string, unknown][];
  /** Mistyped options keys, reported at resources.<name>.options.<key>. */
  optionsWrongType?: [string, unknown][];
  /** The driver refuses to run in this build: `create` fails with this message part. */
  unavailable?: string;
}

const _URL_OPTIONS_WRONG: [string, unknown][] = [
  ["pool.size", 0],
  ["pool_pre_ping", "maybe"],
  ["connect_timeout", "soon"],
];

const CONNECTOR_ROWS: Record<string, ConnectorRow> = {
  "db:duckdb": {
    config: { path: "x.duckdb" },
    required: [],
    wrongType: [["read_only", "maybe"]],
    optionsWrongType: [["pragmas", [1]]],
    unavailable: "db:duckdb is not available in this build",
  },
  "db:exasol": {
    config: { dsn: "exa1:8563", user: "u", password: "p" },
    required: ["dsn", "user", "password"],
    wrongType: [["encryption", "maybe"], ["dsn", 5]],
    optionsWrongType: [["timeout", "soon"]],
  },
  "db:mysql": {
    config: { url: "mysql+pymysql://u:p%40ss@127.0.0.1:3306/app" },
    required: ["url"],
    wrongType: [["url", 5]],
    optionsWrongType: _URL_OPTIONS_WRONG,
  },
  "db:oracledb": {
    config: { user: "u", password: "p", dsn: "db1:1521/ORCL" },
    required: ["user", "password", "dsn"],
    wrongType: [["dsn", 5]],
    optionsWrongType: [["pool.size", 0], ["arraysize", "big"]],
  },
  "db:postgres": {
    config: { url: "postgresql+psycopg2://u:p%40ss@127.0.0.1:5432/app" },
    required: ["url"],
    wrongType: [["url", 5]],
    optionsWrongType: _URL_OPTIONS_WRONG,
  },
  "db:sqlalchemy": {
    config: { url: "sqlite:///:memory:" },
    required: ["url"],
    wrongType: [["url", ""]],
    optionsWrongType: _URL_OPTIONS_WRONG,
  },
  "db:sqlite3": {
    config: { path: ":memory:" },
    required: [],
    wrongType: [["read_only", "maybe"], ["timeout", -1]],
    optionsWrongType: [["cache", 5]],
  },
  "archive:external": {
    config: {
      zip_cmd: ["zip", "-q", "{archive}", "{files}"],
      unzip_cmd: ["unzip", "{archive}", "-d", "{dest}"],
    },
    required: [],
    wrongType: [["zip_cmd", "zip {archive}"], ["zip_cmd", ["zip", "{output}"]], ["unzip_cmd", [
      "x",
      "{files}",
    ]]],
  },
  "archive:os": { config: { zip_cmd: "zip", quiet: false }, required: [], wrongType: [["quiet", "maybe"]] },
  "archive:pyminizip": { config: { level: 9 }, required: [], wrongType: [["level", "high"]] },
  "archive:pyzipper": { config: { aes_strength: 128 }, required: [], wrongType: [["aes_strength", 512]] },
  "archive:zipfile": { config: {}, required: [], wrongType: [] },
  "echo:echo": { config: { anything: 1 }, freeForm: true, required: [], wrongType: [] },
  "sftp:paramiko": {
    config: { host: "h", user: "u", password: "p" },
    options: { timeout: 10 },
    required: ["host", "user"],
    wrongType: [["port", "22x"], ["host_key_fingerprint", "SHA256:short"], ["host", ""]],
  },
  "smb:smbclient": {
    config: { server: "fs01", share: "data", username: "u", password: "p" },
    options: { timeout: 10 },
    required: ["server"],
    wrongType: [["port", "x"], ["protection", "maybe"], ["server", ""]],
  },
  "smb:pysmb": {
    config: { server: "fs01", share: "data", username: "u", password: "p", client_name: "af" },
    required: ["server"],
    wrongType: [["port", 1.5], ["protection", "always"]],
  },
  "rest:httpx": {
    config: { base_url: "https://api.example.test/v1/", headers: { "X-Team": "etl" }, bearer_token: "t" },
    options: { timeout: 5, retry: { max_attempts: 2 }, verify_ssl: false },
    required: [],
    wrongType: [["headers", "x"], ["headers", { a: [1] }], ["base_url", 5]],
  },
  "mail:smtp": {
    config: { host: "smtp.example.test", port: 25, username: "u", password: "p", starttls: false },
    options: { timeout: 5, retry: { max_attempts: 2 } },
    required: ["host"],
    wrongType: [["port", "smtp"], ["starttls", "maybe"], ["ssl", 2], ["host", ""]],
  },
};

Deno.test("every built-in connector has a contract row, config schemas and a unique key", () => {
  const keys = BUILTIN_CONNECTORS.map((d) => `${d.kind}:${d.driver}`);
  assert.deepEqual(keys.sort(), Object.keys(CONNECTOR_ROWS).sort());
  const registry = ConnectorRegistry.withBuiltins();
  assert.deepEqual(registry.keys(), keys.sort());
  for (const def of BUILTIN_CONNECTORS) {
    assert.equal(def.origin, "builtin");
    assert.ok(def.config && def.options, `${def.kind}:${def.driver} declares config and options schemas`);
  }
});

Deno.test("an unknown kind:driver is a validation error naming the loaded connectors", () => {
  const registry = ConnectorRegistry.withBuiltins();
  const issues = resourceIssues({ r: { kind: "db", driver: "nope" } }, { registry });
  assert.deepEqual(issues, [{
    code: "semantic:unknown_connector",
    loc: "resources.r.driver",
    msg: `Unknown connector: db:nope. Loaded: ${JSON.stringify(registry.keys())}`,
  }]);
});

for (const def of BUILTIN_CONNECTORS) {
  const key = `${def.kind}:${def.driver}`;
  const row = CONNECTOR_ROWS[key];
  if (!row) continue;
  Deno.test(`connector contract: ${key}`, async (t) => {
    const registry = ConnectorRegistry.withBuiltins();
    const check = (config: Record<string, unknown>, options: Record<string, unknown> = row.options ?? {}) =>
      resourceIssues({ r: { kind: def.kind, driver: def.driver, config, options } }, {
        registry,
      });

    await t.step("a valid config passes validation; templated values are not judged", () => {
      assert.deepEqual(check(row.config), []);
      for (const k of Object.keys(row.config)) {
        assert.deepEqual(check({ ...row.config, [k]: "{{env.X}}" }), []);
      }
    });

    await t.step(
      "missing, unknown and mistyped config keys are reported at resources.<name>.config.<key>",
      () => {
        for (const k of row.required) {
          assert.deepEqual(_brief(check(_with(row.config, k, undefined))), [
            `resources.r.config.${k} semantic:missing_config`,
          ]);
        }
        if (!row.freeForm) {
          assert.deepEqual(_brief(check({ ...row.config, zz_unknown: 1 })), [
            "resources.r.config.zz_unknown semantic:unknown_config",
          ]);
        }
        for (const [k, value] of row.wrongType) {
          assert.deepEqual(_brief(check(_with(row.config, k, value))), [
            `resources.r.config.${k} semantic:invalid_config`,
          ]);
        }
        for (const [k, value] of row.optionsWrongType ?? []) {
          assert.deepEqual(_brief(check(row.config, _with(row.options ?? {}, k, value))), [
            `resources.r.options.${k} semantic:invalid_config`,
          ], k);
        }
      },
    );

    await t.step("the accessor creates it lazily, fits it to its kind and closes it", async () => {
      const acc = new ConnectorAccessor({
        registry,
        resources: {
          r: {
            kind: def.kind,
            driver: def.driver,
            config: row.config,
            options: row.options ?? {},
            decode: {},
          },
        },
        settings: { connector_cache_disabled: false, connector_cache_default: "run" },
      });
      if (row.unavailable) {
        await assert.rejects(acc.get(def.kind, "r"), (err: Error) => err.message.includes(row.unavailable!));
        return;
      }
      const created = await acc.get(def.kind, "r");
      assert.equal(created.resource, "r");
      if (isConnectorKind(def.kind)) fitToKind(def.kind, { def, instance: created });
      assert.deepEqual(await acc.closeAll(), []);
    });
  });
}

Deno.test("formatPath() names nested inputs the way messages do", () => {
  assert.equal(formatPath(["success", "exit_codes", 0]), "success.exit_codes[0]");
});
