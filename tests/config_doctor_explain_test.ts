// Acceptance: profiles, missing env, doctor and explain.
import assert from "node:assert/strict";
import { join } from "node:path";
import { demoFlow, runCli, tempDir } from "./_helpers.ts";

const PROFILES = JSON.stringify({
  oracle_main: {
    config: { user: "{{env.ORA_USER}}", password: "{{env.ORA_PASS}}" },
    decode: { config: { password: true } },
  },
});

// Resources use the built-in echo connector unless a test is about the names (validate checks kind:driver).
function _flow(dir: string, driver = "echo", kind = "echo"): string {
  const jobs = [
    "  - id: job_a",
    "    steps:",
    "      - id: s1",
    "        type: check_items",
    "        inputs: {items: []}",
  ];
  const resources = [
    `  ora: {kind: ${kind}, driver: ${driver}, profile: oracle_main}`,
    "  plain: {kind: echo, driver: echo}",
  ];
  return demoFlow(dir, jobs.join("\n"), { resources: resources.join("\n") });
}

Deno.test("validate warns on missing profile env; doctor fails until ORA_PASS comes from a dotenv file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path));
  const env = { AETHERFLOW_PROFILES_JSON: PROFILES };
  const v = await runCli(["validate", "f.yaml"], { cwd: dir.path, env });
  assert.equal(v.code, 0, v.stderr);
  assert.match(
    v.stdout,
    /^! profiles\.oracle_main\.config\.user: semantic:missing_env - Missing env env\.ORA_USER/m,
  );

  const d = await runCli(["doctor", "f.yaml"], { cwd: dir.path, env });
  assert.equal(d.code, 2, d.stderr);
  const lines = d.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "FAIL: f.yaml");
  assert.ok(lines.includes("- profiles.oracle_main.config.password: needs env ORA_PASS"), d.stdout);
  assert.ok(lines.includes("- profiles.oracle_main.config.user: needs env ORA_USER"), d.stdout);

  await Deno.writeTextFile(join(dir.path, "o.env"), "ORA_PASS=tiger-secret\nORA_USER=scott\n");
  const files = JSON.stringify([{ type: "dotenv", path: "o.env" }]);
  const ok = await runCli(["doctor", "--flow-yaml", "f.yaml"], {
    cwd: dir.path,
    env: { ...env, AETHERFLOW_ENV_FILES_JSON: files },
  });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout.trimEnd(), "OK: f.yaml");
});

Deno.test("doctor --json prints only the report line; template problems are warnings that do not fail", async () => {
  await using dir = await tempDir();
  const flow = _flow(dir.path).replace("inputs: {items: []}", 'inputs: {items: [], x: "${BAD}"}');
  await Deno.writeTextFile(join(dir.path, "f.yaml"), flow);
  const env = { AETHERFLOW_PROFILES_JSON: PROFILES, ORA_USER: "u", ORA_PASS: "p4ssw0rd" };
  const r = await runCli(["doctor", "f.yaml", "--json"], { cwd: dir.path, env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 1);
  const doc = JSON.parse(lines[0] ?? "");
  // The doctor report (docs/cli.md), then `errors` (the missing keys again) of the CLI's one JSON style.
  assert.deepStrictEqual(Object.keys(doc), ["ok", "flow_yaml", "missing_env", "warnings", "errors"]);
  assert.equal(doc.ok, true);
  assert.deepStrictEqual(doc.missing_env, []);
  assert.equal(doc.warnings[0].code, "template:syntax");
  assert.equal(doc.warnings[0].loc, "jobs[0].steps[0].inputs.x");
});

Deno.test("doctor exits 2 on a schema failure and on conflicting profile variables", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "bad.yaml"), "flow: {id: demo}\n");
  const bad = await runCli(["doctor", "bad.yaml"], { cwd: dir.path });
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /^INVALID: bad\.yaml/);
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path));
  const conflict = await runCli(["doctor", "f.yaml"], {
    cwd: dir.path,
    env: { AETHERFLOW_PROFILES_JSON: "{}", AETHERFLOW_PROFILES_FILE: "p.yaml" },
  });
  assert.equal(conflict.code, 2);
  assert.match(conflict.stdout, /semantic:profiles_conflict/);
});

Deno.test("explain shows profiled resources with the profile's decode map", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path, "cx_oracle", "oracle"));
  const env = { AETHERFLOW_PROFILES_JSON: PROFILES };
  const r = await runCli(["explain", "f.yaml"], { cwd: dir.path, env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "Flow: f.yaml",
      "",
      "Resource: ora (oracle/cx_oracle) profile=oracle_main",
      "  decode:",
      '    {"config":{"password":true}}',
      "",
    ].join("\n"),
  );
  const j = await runCli(["explain", "f.yaml", "--json"], { cwd: dir.path, env });
  assert.equal(j.code, 0);
  assert.deepStrictEqual(JSON.parse(j.stdout), {
    ok: true,
    flow_yaml: "f.yaml",
    resources: {
      ora: {
        kind: "oracle",
        driver: "cx_oracle",
        profile: "oracle_main",
        decode: { config: { password: true } },
      },
    },
  });
});

Deno.test("explain masks secret values in its output", async () => {
  await using dir = await tempDir();
  // The profile name is also the value of a secret-named key: it must not be printed.
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path));
  const r = await runCli(["explain", "f.yaml"], {
    cwd: dir.path,
    env: { AETHERFLOW_PROFILES_JSON: PROFILES, API_TOKEN: "oracle_main" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /profile=\*\*\*/);
  assert.doesNotMatch(r.stdout, /oracle_main/);
});

// Hints come from the step's own definition (`hints`); the rules are unit-tested in
// engine/steps/excel/report_region_hints_test.ts, this checks that doctor reports them at the target's location.
Deno.test("doctor hints at report_region targets with a default threshold or a disabled guard", async () => {
  await using dir = await tempDir();
  const flow = _flow(dir.path).replace(
    "      - id: s1\n        type: check_items\n        inputs: {items: []}",
    [
      "      - id: x1",
      "        type: excel_fill_from_file",
      "        inputs:",
      "          template_path: t.xlsx",
      "          output: o.xlsx",
      "          targets:",
      "            - {name: a, source_path: a.csv, mode: report_region}",
      "            - {name: b, source_path: b.csv, mode: report_region, rows_threshold: 10, fail_on_threshold: false}",
      "            - {name: c, source_path: c.csv}",
    ].join("\n"),
  );
  await Deno.writeTextFile(join(dir.path, "f.yaml"), flow);
  const env = { AETHERFLOW_PROFILES_JSON: PROFILES, ORA_USER: "u", ORA_PASS: "p" };
  const r = await runCli(["doctor", "f.yaml", "--json"], { cwd: dir.path, env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepStrictEqual(
    doc.warnings.map((w: Record<string, string>) => [Object.keys(w).join(","), w.loc, w.code]),
    [
      ["loc,code,msg", "jobs[0].steps[0].inputs.targets[0]", "report_region_default_threshold"],
      ["loc,code,msg", "jobs[0].steps[0].inputs.targets[1]", "report_region_threshold_guard_disabled"],
    ],
  );
});
