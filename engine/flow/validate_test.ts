import assert from "node:assert/strict";
import { STRICT_ERR } from "../resolver/mod.ts";
import type { Issue } from "../types.ts";
import { testRegistry } from "./_test_registry.ts";
import { StepRegistry } from "../steps/registry.ts";
import { ConnectorRegistry } from "../connectors/registry.ts";
import { validateFlow, validateFlowSource } from "./validate.ts";

const REGISTRY = testRegistry();
const F0 =
  "flow: {id: demo}\njobs:\n  - id: job_a\n    steps:\n      - {id: s1, type: t_any, inputs: {items: []}}\n";

function validate(source: string, snapshot: Record<string, string> = {}) {
  return validateFlowSource({ flowYaml: "f.yaml", source, snapshot, registry: REGISTRY });
}

function brief(issues: readonly Issue[]): string[] {
  // Only the first line of a template syntax message is contract (docs/templating.md).
  return issues.map((i) => `${i.loc} ${i.code} ${i.msg.split("\n")[0]}`);
}

/** A flow with one job whose single step has the given inputs (flow-style YAML). */
function withInputs(inputs: string, type = "t_any"): string {
  return `flow: {id: demo}\njobs:\n  - id: a\n    steps:\n      - id: s\n        type: ${type}\n        inputs: ${inputs}\n`;
}

function withWhen(when: string): string {
  return `flow: {id: demo}\njobs:\n  - id: a\n    when: ${JSON.stringify(when)}\n    steps: []\n`;
}

/** Two jobs: `extract` (steps e1, e2) then `load` (steps l1, l2); `l1`'s `inputs.c` is `command`. */
function withRefs(command: string, e2Outputs = "{}"): string {
  return `flow: {id: demo}
jobs:
  - id: extract
    steps:
      - {id: e1, type: t_any, inputs: {}}
      - {id: e2, type: t_any, inputs: {}, outputs: ${e2Outputs}}
  - id: load
    depends_on: [extract]
    steps:
      - {id: l1, type: t_any, inputs: {c: ${JSON.stringify(command)}}}
      - {id: l2, type: t_any, inputs: {}}
`;
}

const L1 = "jobs[1].steps[0].inputs.c";

// Rows: [name, yaml, snapshot, expected ok, expected "loc code msg" errors (exact), expected warnings (exact)].
const CASES: readonly [string, string, Record<string, string>, boolean, string[], string[]][] = [
  // Every token of a string is checked, also after a token validation cannot resolve (issue: a `jobs.` token
  // first hid the rest of the string).
  [
    "a bad token after a jobs reference",
    withRefs("echo {{jobs.extract.outputs.n}} to {{ env.R | lower }}"),
    {
      R: "eu",
    },
    false,
    [`${L1} template:syntax ${STRICT_ERR}`],
    [],
  ],
  [
    "missing env after a jobs reference",
    withRefs("{{jobs.extract.outputs.n}} {{env.R}} {{steps.nothing.x}}"),
    {},
    false,
    [
      `${L1} template:unknown_step Unknown step in job 'load': steps.nothing`,
    ],
    [`${L1} semantic:missing_env Missing env env.R`],
  ],
  ["every missing env of one string", withRefs("{{env.A}}-{{env.B}}-{{env.A}}-{{env.C:c}}"), {}, true, [], [
    `${L1} semantic:missing_env Missing env env.A`,
    `${L1} semantic:missing_env Missing env env.B`,
  ]],
  ["unknown job, with a hint", withRefs("{{jobs.extrat.outputs.n}}"), {}, false, [
    `${L1} template:unknown_job Unknown job in template: jobs.extrat (did you mean 'extract'?)`,
  ], []],
  ["unknown job with a default is a warning", withRefs("{{jobs.nope.outputs.n:0}}"), {}, true, [], [
    `${L1} template:unknown_job Unknown job in template: jobs.nope`,
  ]],
  ["the current job", withRefs("{{jobs.load.outputs.n}}"), {}, false, [
    `${L1} template:job_order jobs.load is the current job, which templates never see; use job.outputs.<key>`,
  ], []],
  ["a later job is a warning", withRefs("x", "{o: '{{jobs.load.outputs.n}}'}"), {}, true, [], [
    "jobs[0].steps[1].outputs.o template:job_order jobs.load runs after job 'extract': it has a value only " +
    "if an earlier invocation of this run finished it",
  ]],
  ["a later step", withRefs("{{steps.l2.x}}"), {}, false, [
    `${L1} template:step_order steps.l2 runs after step 'l1'`,
  ], []],
  ["the step itself in inputs", withRefs("{{steps.l1.x}}"), {}, false, [
    `${L1} template:step_order steps.l1 is step 'l1' itself; its inputs cannot see its output ` +
    "(use result.<key> in outputs)",
  ], []],
  ["a step of another job", withRefs("{{steps.e1.x}}"), {}, false, [
    `${L1} template:unknown_step Unknown step in job 'load': steps.e1`,
  ], []],
  [
    "earlier steps, itself in outputs, earlier jobs and whole roots are fine",
    withRefs(
      "{{jobs.extract.outputs.n}} {{jobs.extract.status}} {{jobs}} {{steps}} {{job.outputs.x}} {{run_id}}",
      "{a: '{{steps.e1.x}}', b: '{{steps.e2.y}}', c: '{{result.z}}'}",
    ),
    {},
    true,
    [],
    [],
  ],
  ["F0 is valid", F0, {}, true, [], []],
  ["empty file is {} -> flow and jobs missing", "", {}, false, [
    "flow schema:missing Field required",
    "jobs schema:missing Field required",
  ], []],
  ["falsy document (false) is {}", "false\n", {}, false, [
    "flow schema:missing Field required",
    "jobs schema:missing Field required",
  ], []],
  ["empty list document is {}", "[]\n", {}, false, [
    "flow schema:missing Field required",
    "jobs schema:missing Field required",
  ], []],
  ["non-map root", "- a\n", {}, false, [
    "<root> schema:model_type Input should be a valid dictionary or instance of FlowSpec",
  ], []],
  ["scalar root", "hello\n", {}, false, [
    "<root> schema:model_type Input should be a valid dictionary or instance of FlowSpec",
  ], []],
  [
    "typos get did-you-mean only when close",
    "flow: {id: d}\nnotes: x\nresources:\n  r1: {kind: k, driver: d, config_env: {}}\njobs:\n  - {id: a, depend_on: [], steps: []}\n",
    {},
    false,
    [
      "resources.r1.config_env schema:extra_forbidden Extra inputs are not permitted",
      "jobs[0].depend_on schema:extra_forbidden Extra inputs are not permitted (did you mean 'depends_on'?)",
      "notes schema:extra_forbidden Extra inputs are not permitted",
    ],
    [],
  ],
  [
    "legacy options_env and decode_env are unknown",
    "flow: {id: d}\nresources:\n  r: {kind: k, driver: d, options_env: {}, decode_env: {}}\njobs: []\n",
    {},
    false,
    [
      "resources.r.options_env schema:extra_forbidden Extra inputs are not permitted",
      "resources.r.decode_env schema:extra_forbidden Extra inputs are not permitted",
    ],
    [],
  ],
  ["YAML 1.1: job id `no` is a boolean", "flow: {id: d}\njobs:\n  - {id: no, steps: []}\n", {}, false, [
    "jobs[0].id schema:string_type Input should be a valid string",
  ], []],
  ["YAML 1.1: an unquoted date in a string field", "flow: {id: 2024-01-02}\njobs: []\n", {}, false, [
    "flow.id schema:string_type Input should be a valid string",
  ], []],
  ["flow: null is model_type", "flow: null\njobs: []\n", {}, false, [
    "flow schema:model_type Input should be a valid dictionary or instance of FlowMetaSpec",
  ], []],
  ["workspace: null is model_type", "flow: {id: d, workspace: null}\njobs: []\n", {}, false, [
    "flow.workspace schema:model_type Input should be a valid dictionary or instance of WorkspaceSpec",
  ], []],
  [
    "errors in declaration order, not YAML order",
    "jobs:\n  - {steps: [{type: t_any, id: 3}], id: 1}\nflow: {locks: {ttl_seconds: x}, id: 5}\nversion: 1.5\n",
    {},
    false,
    [
      "version schema:int_from_float Input should be a valid integer, got a number with a fractional part",
      "flow.id schema:string_type Input should be a valid string",
      "flow.locks.ttl_seconds schema:int_parsing Input should be a valid integer, unable to parse string as an integer",
      "jobs[0].id schema:string_type Input should be a valid string",
      "jobs[0].steps[0].id schema:string_type Input should be a valid string",
    ],
    [],
  ],
  [
    "int parsing: 1e3 and 0x10 strings",
    "version: '0x10'\nflow: {id: d, locks: {ttl_seconds: '1e3'}}\njobs: []\n",
    {},
    false,
    [
      "version schema:int_parsing Input should be a valid integer, unable to parse string as an integer",
      "flow.locks.ttl_seconds schema:int_parsing Input should be a valid integer, unable to parse string as an integer",
    ],
    [],
  ],
  [
    "int null and list are int_type",
    "version: null\nflow: {id: d, locks: {ttl_seconds: []}}\njobs: []\n",
    {},
    false,
    [
      "version schema:int_type Input should be a valid integer",
      "flow.locks.ttl_seconds schema:int_type Input should be a valid integer",
    ],
    [],
  ],
  [
    "int coercions accepted",
    "version: ' +1_0 '\nflow: {id: d, locks: {ttl_seconds: 1.0}}\njobs: []\n",
    {},
    true,
    [],
    [],
  ],
  [
    "enums are exact case",
    "flow: {id: d, workspace: {cleanup_policy: Never}, state: {backend: x}, locks: {scope: all}}\njobs:\n  - {id: a, steps: [{id: s, type: t_any, on_no_data: skip}]}\n",
    {},
    false,
    [
      "flow.workspace.cleanup_policy schema:literal_error Input should be 'on_success', 'always' or 'never'",
      "flow.state.backend schema:literal_error Input should be 'sqlite', 'file' or 'postgres'",
      "flow.locks.scope schema:literal_error Input should be 'none', 'job' or 'flow'",
      "jobs[0].steps[0].on_no_data schema:literal_error Input should be 'skip_job'",
    ],
    [],
  ],
  [
    "a template in a non-string field fails the schema",
    "flow: {id: d, workspace: {cleanup_policy: '{{env.CP:on_success}}'}}\njobs: []\n",
    {},
    false,
    [
      "flow.workspace.cleanup_policy schema:literal_error Input should be 'on_success', 'always' or 'never'",
    ],
    [],
  ],
  [
    "null depends_on / inputs / jobs entries",
    "flow: {id: d}\njobs:\n  - {id: a, depends_on: null, steps: [{id: s, type: t_any, inputs: null}]}\n  - 3\n",
    {},
    false,
    [
      "jobs[0].depends_on schema:list_type Input should be a valid list",
      "jobs[0].steps[0].inputs schema:dict_type Input should be a valid dictionary",
      "jobs[1] schema:model_type Input should be a valid dictionary or instance of JobSpec",
    ],
    [],
  ],
  [
    "layout missing required dirs",
    "flow: {id: d, workspace: {layout: {artifacts: a}}}\njobs: []\n",
    {},
    false,
    [
      "flow.workspace.layout.scratch schema:missing Field required",
      "flow.workspace.layout.manifests schema:missing Field required",
    ],
    [],
  ],
  ["non-string key in inputs", withInputs("{1: a}"), {}, false, [
    "jobs[0].steps[0].inputs[1].[key] schema:string_type Input should be a valid string",
  ], []],
  ["duplicate key", "flow: {id: d}\njobs: []\njobs: []\n", {}, false, [
    "jobs yaml:duplicate_key Duplicate key: jobs",
  ], []],
  [
    "semantic rules in emission order",
    "flow: {id: d}\njobs:\n  - {id: b, depends_on: [c, zz], steps: [{id: s, type: t_any}, {id: s, type: nope}]}\n  - {id: a, steps: []}\n  - {id: a, steps: []}\n  - {id: c, steps: []}\n",
    {},
    false,
    [
      "jobs semantic:duplicate_job_id Duplicate job id: a",
      "jobs[0].steps semantic:duplicate_step_id Duplicate step id in job 'b': s",
      "jobs[0].depends_on semantic:depends_on_order Job 'b' depends_on 'c' which appears after it; reorder jobs",
      "jobs[0].depends_on semantic:depends_on_unknown_job Job 'b' depends_on unknown job: zz",
      'jobs[0].steps[1].type semantic:unknown_step_type Unknown step type: nope. Loaded: ["t_any","t_strict","with_lock"]',
    ],
    [],
  ],
  [
    "YAML 1.1: a key `on` is a boolean, a key `y` a string (PyYAML)",
    "flow: {id: d}\nresources:\n  y: {kind: db, driver: os}\n  on: {kind: db, driver: os}\njobs: []\n",
    {},
    false,
    [
      "resources.true.[key] schema:string_type Input should be a valid string",
    ],
    [],
  ],
  [
    "self dependency is not flagged",
    "flow: {id: d}\njobs:\n  - {id: a, depends_on: [a], steps: []}\n",
    {},
    true,
    [],
    [],
  ],
  [
    "enterprise archive driver",
    "flow: {id: d}\nresources:\n  z: {kind: archive, driver: os}\n  w: {kind: db, driver: os}\njobs: []\n",
    { AETHERFLOW_MODE: " Enterprise " },
    false,
    [
      'resources.z.driver semantic:enterprise_archive_driver Enterprise mode requires archive driver in []; got "os"',
    ],
    [],
  ],
  ["built-in inputs checked with hint", withInputs("{a: 1, itmes: [], zzz: 2}", "t_strict"), {}, false, [
    "jobs[0].steps[0].inputs.itmes semantic:unknown_input Extra inputs are not permitted (did you mean 'items'?)",
    "jobs[0].steps[0].inputs.zzz semantic:unknown_input Extra inputs are not permitted",
  ], []],
  [
    "with_lock inner step is checked like a top-level step",
    withInputs("{lock_key: k, step: {type: t_strict, inputs: {b: 1}}}", "with_lock"),
    {},
    false,
    [
      "jobs[0].steps[0].inputs.step.inputs.b semantic:unknown_input Extra inputs are not permitted (did you mean 'a'?)",
    ],
    [],
  ],
  ["with_lock inner unknown type", withInputs("{lock_key: k, step: {type: nope}}", "with_lock"), {}, false, [
    'jobs[0].steps[0].inputs.step.type semantic:unknown_step_type Unknown step type: nope. Loaded: ["t_any","t_strict","with_lock"]',
  ], []],
  ["when: BinOp", withWhen("jobs.a.outputs.x == 1 and (1 + 1) == 2"), {}, false, [
    "jobs[0].when semantic:invalid_when Unsupported node: BinOp",
  ], []],
  ["when: true is valid", withWhen("true"), {}, true, [], []],
  [
    "when: TRUE",
    withWhen("TRUE"),
    {},
    false,
    ["jobs[0].when semantic:invalid_when Unsupported name: TRUE"],
    [],
  ],
  ["when: env", withWhen("env.X == 1"), {}, false, [
    "jobs[0].when semantic:invalid_when Unsupported name: env",
  ], []],
  ["when: negative number is valid", withWhen("jobs.a.outputs.x > -1"), {}, true, [], []],
  ["when: in", withWhen("jobs.a.outputs.x in [1]"), {}, false, [
    "jobs[0].when semantic:invalid_when Unsupported node: In",
  ], []],
  ["when: blank is no condition", withWhen("   "), {}, true, [], []],
  [
    "template syntax per leaf",
    withInputs('{sql: "{{ broken ", a: "{{steps.x.y}}", b: "${BAD}"}'),
    {},
    false,
    [
      `jobs[0].steps[0].inputs.sql template:syntax ${STRICT_ERR}`,
      "jobs[0].steps[0].inputs.a template:unknown_step Unknown step in job 'a': steps.x",
      `jobs[0].steps[0].inputs.b template:syntax ${STRICT_ERR}`,
    ],
    [],
  ],
  ["unknown root plus syntax on one leaf", withInputs('{k: "{{secrets.X}}"}'), {}, false, [
    "jobs[0].steps[0].inputs.k template:unknown_root Unknown template root: secrets",
    `jobs[0].steps[0].inputs.k template:syntax ${STRICT_ERR}`,
  ], []],
  ["unknown root with a filter", withInputs('{k: "{{ x | lower }}"}'), {}, false, [
    "jobs[0].steps[0].inputs.k template:unknown_root Unknown template root: x | lower",
    `jobs[0].steps[0].inputs.k template:syntax ${STRICT_ERR}`,
  ], []],
  [
    "outputs scanned after inputs",
    "flow: {id: d}\njobs:\n  - id: a\n    steps:\n      - id: s\n        type: t_any\n        outputs: {o: '{{result.x}}', p: '{%x%}'}\n        inputs: {i: '{{env.NOPE}}'}\n",
    {},
    false,
    [
      `jobs[0].steps[0].outputs.p template:syntax ${STRICT_ERR}`,
    ],
    ["jobs[0].steps[0].inputs.i semantic:missing_env Missing env env.NOPE"],
  ],
  [
    "missing env is a warning",
    "flow: {id: d, workspace: {root: '{{ env.broken }}'}}\njobs: []\n",
    {},
    true,
    [],
    [
      "flow.workspace.root semantic:missing_env Missing env env.broken",
    ],
  ],
  [
    "missing env is an error when strict",
    "flow: {id: d, workspace: {root: '{{ env.broken }}'}}\njobs: []\n",
    { AETHERFLOW_VALIDATE_ENV_STRICT: "TRUE" },
    false,
    [
      "flow.workspace.root semantic:missing_env Missing env env.broken",
    ],
    [],
  ],
  [
    "present env and defaults are fine",
    "flow: {id: '{{env.ID}}', description: '{{env.D:none}}'}\njobs: []\n",
    { ID: "x" },
    true,
    [],
    [],
  ],
  [
    "resource phase allows only env",
    "flow: {id: d}\nresources:\n  r: {kind: k, driver: d, config: {a: '{{steps.x}}', b: ['{{env.B}}']}}\njobs: []\n",
    {},
    false,
    [
      `resources.r.config.a template:syntax ${STRICT_ERR}`,
    ],
    ["resources.r.config.b[0] semantic:missing_env Missing env env.B"],
  ],
  [
    "decode concat rule",
    "flow: {id: d}\nresources:\n  r:\n    kind: k\n    driver: d\n    config: {pw: 'x{{env.P}}', ok: '{{env.P}}', h: {t: 'Bearer {{env.T}}'}}\n    decode: {config: {pw: true, ok: true, h: {t: true}}}\njobs: []\n",
    { P: "1", T: "2" },
    false,
    [
      "resources.r.config.pw template:syntax Decode target must be a standalone template token like '{{TOKEN}}' (no prefix/suffix).",
      "resources.r.config.h.t template:syntax Decode target must be a standalone template token like '{{TOKEN}}' (no prefix/suffix).",
    ],
    [],
  ],
  [
    "decode leaves: non-standalone is STRICT_ERR",
    "flow: {id: d}\nresources:\n  r: {kind: k, driver: d, decode: {config_paths: ['a{{env.X}}', '{{env.Y}}']}}\njobs: []\n",
    {},
    false,
    [
      `resources.r.decode.config_paths[0] template:syntax ${STRICT_ERR}`,
    ],
    ["resources.r.decode.config_paths[1] semantic:missing_env Missing env env.Y"],
  ],
  [
    "unknown profile is a warning",
    "flow: {id: d}\nresources:\n  r: {kind: k, driver: d, profile: nope}\njobs: []\n",
    {},
    true,
    [],
    [
      "resources.r.profile semantic:unknown_profile Unknown profile 'nope' for resource 'r'",
    ],
  ],
  [
    "profiles conflict",
    F0,
    { AETHERFLOW_PROFILES_JSON: "{}", AETHERFLOW_PROFILES_FILE: "/nope.yaml" },
    false,
    [
      "profiles semantic:profiles_conflict Set only one of AETHERFLOW_PROFILES_JSON or AETHERFLOW_PROFILES_FILE",
    ],
    [],
  ],
  ["profile typo with hint", F0, { AETHERFLOW_PROFILES_JSON: '{"p": {"conf": {}}}' }, false, [
    "profiles.p.conf schema:extra_forbidden Extra inputs are not permitted (did you mean 'config'?)",
  ], []],
  ["invalid profiles JSON", F0, { AETHERFLOW_PROFILES_JSON: "{" }, false, [
    "profiles semantic:profiles_invalid",
  ], []],
  [
    "profiles scan",
    "flow: {id: d}\nresources:\n  ora: {kind: db, driver: oracle, profile: oracle_main}\njobs: []\n",
    {
      AETHERFLOW_PROFILES_JSON: JSON.stringify({
        oracle_main: {
          config: { user: "{{env.ORA_USER}}", password: "{{env.ORA_PASS}}" },
          decode: { config: { password: true }, config_paths: ["x{{env.Q}}"] },
        },
        unused: { options: { o: "${X}" } },
      }),
    },
    false,
    [
      `profiles.oracle_main.decode.config_paths[0] template:syntax ${STRICT_ERR}`,
      `profiles.unused.options.o template:syntax ${STRICT_ERR}`,
    ],
    [
      "profiles.oracle_main.config.user semantic:missing_env Missing env env.ORA_USER",
      "profiles.oracle_main.config.password semantic:missing_env Missing env env.ORA_PASS",
      "profiles.oracle_main.decode.config_paths[0] semantic:missing_env Missing env env.Q",
    ],
  ],
];

Deno.test("validateFlowSource() gives the spec's verdict, codes, locs and messages", async (t) => {
  for (const [name, yaml, snapshot, ok, errors, warnings] of CASES) {
    await t.step(name, () => {
      const report = validate(yaml, snapshot);
      const got = brief(report.errors);
      // A row may give only "loc code" when the message is free-form.
      const trimmed = got.map((
        g,
        i,
      ) => (errors[i] !== undefined && errors[i]!.split(" ").length === 2
        ? g.split(" ").slice(0, 2).join(" ")
        : g)
      );
      assert.deepEqual(trimmed, errors);
      assert.deepEqual(brief(report.warnings), warnings);
      assert.equal(report.ok, ok);
      assert.equal(report.flow_yaml, "f.yaml");
    });
  }
});

Deno.test("validateFlowSource() attaches line/col/file to issues", async (t) => {
  const src = "flow:\n  id: d\njobs:\n  - id: a\n    depend_on: []\n    steps: []\n";
  await t.step("unknown key points at the key", () => {
    const [issue] = validate(src).errors;
    assert.deepEqual([issue?.line, issue?.col, issue?.file], [5, 5, "f.yaml"]);
  });
  await t.step("a missing field points at its parent", () => {
    const [issue] = validate("flow:\n  description: x\njobs: []\n").errors;
    assert.equal(issue?.loc, "flow.id");
    assert.deepEqual([issue?.line, issue?.col], [2, 3]);
  });
  await t.step("yaml syntax errors carry their position", () => {
    const [issue] = validate("flow: {id: d\njobs: []\n").errors;
    assert.equal(issue?.code, "yaml:syntax");
    assert.equal(issue?.loc, `${issue?.line}:${issue?.col}`);
  });
});

Deno.test("validateFlowSource() returns the parsed flow with defaults", () => {
  const report = validate(F0);
  assert.equal(report.ok, true);
  assert.equal(report.flow?.version, 1);
  assert.equal(report.flow?.flow.workspace.cleanup_policy, "on_success");
  assert.deepEqual(report.flow?.flow.workspace.layout, {
    artifacts: "artifacts",
    scratch: "scratch",
    manifests: "manifests",
  });
  assert.deepEqual(report.flow?.jobs[0]?.depends_on, []);
  assert.equal(report.flow?.jobs[0]?.steps[0]?.on_no_data, null);
});

Deno.test("validateFlowSource() refuses binary input", async (t) => {
  const CASES = [
    ["NUL bytes", new Uint8Array([102, 0, 111]), "yaml:binary"],
    ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x41]), "yaml:binary"],
  ] as const;
  for (const [name, bytes, code] of CASES) {
    await t.step(name, () => {
      const report = validateFlowSource({
        flowYaml: "f.yaml",
        source: bytes,
        snapshot: {},
        registry: REGISTRY,
      });
      assert.deepEqual(report.errors.map((i) => i.code), [code]);
    });
  }
});

// The example flows in testdata/flows: valid ones pass against the built-ins, invalid ones give these locs/codes.
const FIXTURES = [
  ["valid/minimal.yaml", []],
  ["valid/full.yaml", []],
  ["valid/resources.yaml", []],
  ["invalid/typos.yaml", [
    "resources.r1.config_env schema:extra_forbidden",
    "jobs[0].depend_on schema:extra_forbidden",
    "notes schema:extra_forbidden",
  ]],
  ["invalid/syntax.yaml.txt", ["4:3 yaml:syntax", "5:1 yaml:syntax"]],
  ["invalid/semantic.yaml", [
    "jobs semantic:duplicate_job_id",
    "jobs[0].steps semantic:duplicate_step_id",
    "jobs[0].depends_on semantic:depends_on_order",
    "jobs[0].depends_on semantic:depends_on_unknown_job",
    "jobs[0].steps[1].type semantic:unknown_step_type",
    "jobs[1].steps[0].inputs.step.inputs.itmes semantic:unknown_input",
    "jobs[0].when semantic:invalid_when",
  ]],
  ["invalid/schema_types.yaml", [
    "version schema:int_parsing",
    "flow.id schema:string_type",
    "flow.description schema:string_type",
    "flow.workspace.cleanup_policy schema:literal_error",
    "flow.workspace.layout.scratch schema:missing",
    "flow.workspace.layout.manifests schema:missing",
    "flow.state.backend schema:literal_error",
    "flow.state.path schema:string_type",
    "flow.locks.scope schema:literal_error",
    "flow.locks.ttl_seconds schema:int_from_float",
    "resources.r.config schema:dict_type",
    "resources.r.decode.secret schema:extra_forbidden",
    "jobs[0].id schema:string_type",
    "jobs[0].depends_on schema:list_type",
    "jobs[0].steps[0].inputs schema:dict_type",
    "jobs[0].steps[0].on_no_data schema:literal_error",
    "jobs[1] schema:model_type",
  ]],
] as const;

Deno.test("validateFlow() gives each testdata flow its verdict", async (t) => {
  const registry = StepRegistry.withBuiltins();
  for (const [name, want] of FIXTURES) {
    await t.step(name, async () => {
      const flowPath = new URL(`../../testdata/flows/${name}`, import.meta.url).pathname;
      const report = await validateFlow({ flowPath, snapshot: {}, registry });
      assert.deepEqual(report.errors.map((i) => `${i.loc} ${i.code}`), [...want]);
      assert.equal(report.ok, want.length === 0);
    });
  }
});

Deno.test("validateFlow() refuses a missing file with a UsageError", async () => {
  await assert.rejects(
    validateFlow({ flowPath: "./no/such/flow.yaml", snapshot: {}, registry: REGISTRY }),
    { name: "UsageError", message: "Flow file not found: ./no/such/flow.yaml" },
  );
});

Deno.test("validateFlow() checks with the snapshot finalizeSnapshot returns", async () => {
  const flowPath = new URL("../../testdata/flows/valid/minimal.yaml", import.meta.url).pathname;
  const seen: string[] = [];
  const report = await validateFlow({
    flowPath,
    snapshot: { A: "1" },
    registry: StepRegistry.withBuiltins(),
    finalizeSnapshot: (snapshot, flow) => {
      seen.push(flow.flow.id);
      return { ...snapshot, AETHERFLOW_PROFILES_JSON: "{" };
    },
  });
  assert.deepEqual(seen, ["demo"]);
  assert.deepEqual(report.errors.map((i) => i.code), ["semantic:profiles_invalid"]);
  assert.equal(report.snapshot?.A, "1");
});

Deno.test("validateFlowSource() checks resources' connectors and the resources steps name", async () => {
  const { ConnectorRegistry } = await import("../connectors/registry.ts");
  const connectors = ConnectorRegistry.withBuiltins();
  connectors.register({
    kind: "sftp",
    driver: "plug",
    origin: "plugin:p@1.0.0",
    methods: ["download"],
    create: (r) => ({ resource: r.name }),
  });
  const registry = testRegistry();
  registry.register({
    type: "t_list",
    origin: "test",
    connector: { input: "resource", kinds: ["sftp", "smb"], methods: ["list"] },
    run: () => ({}),
  });
  const source = [
    "flow: {id: d}",
    "resources:",
    "  e: {kind: echo, driver: echo, config: {x: 1}}",
    "  s: {kind: sftp, driver: plug}",
    "  bad: {kind: db, driver: nope}",
    "jobs:",
    "  - id: a",
    "    steps:",
    "      - {id: s1, type: t_list, inputs: {resource: e}}",
    "      - {id: s2, type: t_list, inputs: {resource: zz}}",
    "      - {id: s3, type: t_list, inputs: {resource: s}}",
    "      - {id: s4, type: t_list, inputs: {resource: '{{env.R}}'}}",
  ].join("\n");
  const report = validateFlowSource({ flowYaml: "f.yaml", source, snapshot: {}, registry, connectors });
  assert.deepEqual(report.errors.map((i) => `${i.loc} ${i.code} ${i.msg}`), [
    `resources.bad.driver semantic:unknown_connector Unknown connector: db:nope. Loaded: ${
      JSON.stringify(connectors.keys())
    }`,
    "jobs[0].steps[0].inputs.resource semantic:resource_kind Resource e is kind=echo, requested kind=sftp|smb",
    'jobs[0].steps[1].inputs.resource semantic:unknown_resource Unknown resource: zz. Known: ["bad","e","s"]',
    'jobs[0].steps[2].inputs.resource semantic:connector_methods Connector sftp:plug of resource s does not declare ["list"]',
  ]);
  assert.equal(report.errors[0]?.line, 5);
  assert.ok(connectors.keys().includes("sftp:plug")); // the plugin's driver is among the loaded ones
});

Deno.test("validateFlowSource(): zip/unzip name their archive resource by `resource` or `connector`; enterprise needs one", () => {
  const source = (resources: string, mode = "") =>
    [
      "flow: {id: d}",
      "resources:",
      "  db1: {kind: echo, driver: echo}",
      ...resources.split("\n").filter((l) => l !== ""),
      "jobs:",
      "  - id: a",
      "    steps:",
      "      - {id: z1, type: zip, inputs: {dest_path: o.zip, items: [a], connector: db1}}",
      "      - {id: z2, type: unzip, inputs: {archives: [o.zip], dest_dir: x}}",
      mode,
    ].join("\n");
  const validate = (src: string, snapshot: Record<string, string> = {}) =>
    validateFlowSource({
      flowYaml: "f.yaml",
      source: src,
      snapshot,
      registry: StepRegistry.withBuiltins(),
      connectors: ConnectorRegistry.withBuiltins(),
    }).errors.map((i) => `${i.loc} ${i.code} ${i.msg}`);
  assert.deepEqual(validate(source("")), [
    "jobs[0].steps[0].inputs.connector semantic:resource_kind Resource db1 is kind=echo, requested kind=archive",
  ]);
  const enterprise = { AETHERFLOW_MODE: "enterprise" };
  assert.deepEqual(validate(source(""), enterprise), [
    "jobs[0].steps[0].inputs.connector semantic:resource_kind Resource db1 is kind=echo, requested kind=archive",
    "jobs[0].steps[1].inputs semantic:enterprise_archive_resource " +
    "Zip/Unzip requires declared archive resource in enterprise mode",
  ]);
  // A declared archive_default serves steps that name none (its driver is checked by the allow-list rule).
  assert.deepEqual(validate(source("  archive_default: {kind: archive, driver: pyzipper}"), enterprise), [
    'resources.archive_default.driver semantic:enterprise_archive_driver Enterprise mode requires archive driver in []; got "pyzipper"',
    "jobs[0].steps[0].inputs.connector semantic:resource_kind Resource db1 is kind=echo, requested kind=archive",
  ]);
});
