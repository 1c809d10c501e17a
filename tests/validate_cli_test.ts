// Whole-CLI tests for `aetherflow validate` and `aetherflow schema` (docs/cli.md, docs/validation.md).
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

const F0 = `flow:
  id: demo
  workspace: {root: WS, cleanup_policy: never}
  state: {path: STATE}
jobs:
  - id: job_a
    steps:
      - id: s1
        type: check_items
        inputs: {items: []}
`;

async function writeFlow(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(
    path,
    text.replace("WS", join(dir, "ws")).replace("STATE", join(dir, "state.sqlite")),
  );
  return path;
}

Deno.test("validate accepts the flow as FLOW_YAML or --flow-yaml [D1]", async (t) => {
  await using dir = await tempDir();
  await writeFlow(dir.path, "f.yaml", F0);
  await t.step("positional, path normalised", async () => {
    const res = await runCli(["validate", "./f.yaml"], { cwd: dir.path });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, "OK: f.yaml\n");
  });
  await t.step("--flow-yaml with --json: exactly one line", async () => {
    const res = await runCli(["validate", "--flow-yaml", "f.yaml", "--json"], { cwd: dir.path });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '{"ok":true,"errors":[],"warnings":[],"flow_yaml":"f.yaml"}\n');
  });
});

Deno.test("validate reports unknown keys with hints and positions, exit 2 [D6]", async () => {
  await using dir = await tempDir();
  const flow =
    "flow: {id: d}\nnotes: x\nresources:\n  r1: {kind: k, driver: d, config_env: {}}\njobs:\n  - id: a\n    depend_on: []\n    steps: []\n";
  await writeFlow(dir.path, "f.yaml", flow);
  const res = await runCli(["validate", "f.yaml"], { cwd: dir.path });
  assert.equal(res.code, 2);
  const lines = res.stdout.trimEnd().split("\n");
  assert.deepEqual(lines, [
    "INVALID: f.yaml",
    "- resources.r1.config_env: schema:extra_forbidden - Extra inputs are not permitted (f.yaml:4:28)",
    "- jobs[0].depend_on: schema:extra_forbidden - Extra inputs are not permitted (did you mean 'depends_on'?) (f.yaml:7:5)",
    "- notes: schema:extra_forbidden - Extra inputs are not permitted (f.yaml:2:1)",
  ]);
});

Deno.test("validate: missing env is a warning unless strict", async (t) => {
  await using dir = await tempDir();
  await writeFlow(dir.path, "f.yaml", 'flow:\n  id: d\n  workspace: {root: "{{ env.broken }}"}\njobs: []\n');
  await t.step("lenient: rc 0 with a warning line", async () => {
    const res = await runCli(["validate", "f.yaml"], { cwd: dir.path });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.trimEnd().split("\n"), [
      "OK: f.yaml",
      "! flow.workspace.root: semantic:missing_env - Missing env env.broken (f.yaml:3:21)",
    ]);
  });
  await t.step("strict: rc 2, JSON report", async () => {
    const res = await runCli(["validate", "f.yaml", "--json"], {
      cwd: dir.path,
      env: { AETHERFLOW_VALIDATE_ENV_STRICT: "true" },
    });
    assert.equal(res.code, 2);
    const report = JSON.parse(res.stdout);
    assert.deepEqual(Object.keys(report), ["ok", "errors", "warnings", "flow_yaml"]);
    assert.deepEqual(report.errors, [{
      code: "semantic:missing_env",
      loc: "flow.workspace.root",
      msg: "Missing env env.broken",
      line: 3,
      col: 21,
    }]);
  });
});

Deno.test("validate: profile variables both set -> profiles_conflict", async () => {
  await using dir = await tempDir();
  await writeFlow(dir.path, "f.yaml", F0);
  const res = await runCli(["validate", "f.yaml", "--json"], {
    cwd: dir.path,
    env: { AETHERFLOW_PROFILES_JSON: "{}", AETHERFLOW_PROFILES_FILE: "p.yaml" },
  });
  assert.equal(res.code, 2);
  assert.equal(JSON.parse(res.stdout).errors[0].code, "semantic:profiles_conflict");
});

Deno.test("validate: flow path usage errors exit 2 (docs/cli.md)", async (t) => {
  await using dir = await tempDir();
  await writeFlow(dir.path, "f.yaml", F0);
  const CASES = [
    [
      "both given and different",
      ["validate", "f.yaml", "--flow-yaml", "g.yaml"],
      "Error: give the flow either as FLOW_YAML or with --flow-yaml, not both",
    ],
    ["neither given", ["validate"], "Error: missing flow file: give FLOW_YAML or --flow-yaml"],
    ["missing file", ["validate", "./nope/x.yaml"], "Error: Flow file not found: ./nope/x.yaml"],
  ] as const;
  for (const [name, args, stderr] of CASES) {
    await t.step(name, async () => {
      const res = await runCli([...args], { cwd: dir.path });
      assert.equal(res.code, 2);
      assert.equal(res.stderr.trim(), stderr);
      assert.equal(res.stdout, "");
    });
  }
});

Deno.test("validate lists a YAML syntax error once, with file:line:col, exit 2", async (t) => {
  // The yaml package reports some syntax errors twice in Document.errors; the user sees each once.
  await using dir = await tempDir();
  const flow = 'flow: {id: d}\njobs:\n  - id: a\n    steps:\n      - {id: s, inputs: {t: "x"\n';
  await writeFlow(dir.path, "bad.yaml", flow);
  await t.step("text", async () => {
    const res = await runCli(["validate", "bad.yaml"], { cwd: dir.path });
    assert.equal(res.code, 2, res.stderr);
    const lines = res.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "INVALID: bad.yaml");
    assert.equal(lines.length, 2, res.stdout);
    assert.match(lines[1], /^- 6:1: yaml:syntax - .+ \(bad\.yaml:6:1\)$/);
    assert.doesNotMatch(res.stderr, /\bat .+:\d+:\d+\)?$/m, "no stack trace");
  });
  await t.step("--json", async () => {
    const res = await runCli(["validate", "--json", "bad.yaml"], { cwd: dir.path });
    assert.equal(res.code, 2, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.errors.length, 1, res.stdout);
    assert.equal(out.errors[0].code, "yaml:syntax");
    assert.deepEqual([out.errors[0].line, out.errors[0].col], [6, 1]);
    assert.equal(out.flow_yaml, "bad.yaml");
  });
});

Deno.test("schema prints the flow JSON Schema", async () => {
  const res = await runCli(["schema"]);
  assert.equal(res.code, 0, res.stderr);
  const schema = JSON.parse(res.stdout);
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(schema.required, ["flow", "jobs"]);
  assert.equal(schema.additionalProperties, false);
});

/** Two jobs; `load`'s one step runs `sh -c <script>` (issue 9: a `jobs.` token hid the rest of the string). */
function _refsFlow(script: string): string {
  return `flow: {id: d}
jobs:
  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1]}, outputs: {rows: "{{result.count}}"}}
  - id: load
    depends_on: [extract]
    steps:
      - id: push
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

Deno.test("validate and doctor check every token of a string, also after a jobs reference", async (t) => {
  await using dir = await tempDir();
  const leaf = "jobs[1].steps[0].inputs.command[2]";
  await t.step("a filter after a jobs token is a syntax error, exit 2", async () => {
    await writeFlow(
      dir.path,
      "f.yaml",
      _refsFlow("echo {{jobs.extract.outputs.rows}} to {{ env.REGION | lower }}"),
    );
    const res = await runCli(["validate", "f.yaml", "--json"], { cwd: dir.path, env: { REGION: "EU" } });
    assert.equal(res.code, 2, res.stdout);
    const report = JSON.parse(res.stdout);
    assert.deepEqual(report.errors.map((e: { code: string; loc: string }) => `${e.loc} ${e.code}`), [
      `${leaf} template:syntax`,
    ]);
  });
  await t.step("a missing env after a jobs token is reported, and doctor lists it", async () => {
    await writeFlow(dir.path, "f.yaml", _refsFlow("echo {{jobs.extract.outputs.rows}} to {{env.REGION}}"));
    const res = await runCli(["validate", "f.yaml"], { cwd: dir.path });
    assert.equal(res.code, 0, res.stdout);
    assert.match(
      res.stdout,
      new RegExp(`! ${leaf.replace(/[[\]]/g, "\\$&")}: semantic:missing_env - Missing env env.REGION`),
    );
    const doctor = await runCli(["doctor", "f.yaml", "--json"], { cwd: dir.path });
    assert.equal(doctor.code, 2, doctor.stdout);
    assert.deepEqual(JSON.parse(doctor.stdout).missing_env.map((i: { msg: string }) => i.msg), [
      "Missing env env.REGION",
    ]);
  });
  await t.step("a job or step that does not exist is an error", async () => {
    await writeFlow(dir.path, "f.yaml", _refsFlow("echo {{jobs.nope.outputs.rows}} {{steps.count.rows}}"));
    const res = await runCli(["validate", "f.yaml"], { cwd: dir.path });
    assert.equal(res.code, 2, res.stdout);
    assert.deepEqual(res.stdout.trimEnd().split("\n").map((l) => l.replace(/ \(f\.yaml:\d+:\d+\)$/, "")), [
      "INVALID: f.yaml",
      `- ${leaf}: template:unknown_job - Unknown job in template: jobs.nope`,
      `- ${leaf}: template:unknown_step - Unknown step in job 'load': steps.count`,
    ]);
  });
});
