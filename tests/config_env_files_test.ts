// Acceptance: env files through AETHERFLOW_ENV_FILES_JSON, profile source errors.
import assert from "node:assert/strict";
import { join } from "node:path";
import { demoFlow, runCli, tempDir } from "./_helpers.ts";

function _flow(dir: string, inputs: string): string {
  const jobs = [
    "  - id: job_a",
    "    steps:",
    "      - id: s1",
    "        type: check_items",
    `        inputs: ${inputs}`,
  ];
  return demoFlow(dir, jobs.join("\n"));
}

Deno.test("env files: dotenv dialect and json values reach templates; a missing file is exit 2", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "a.env"),
    ["export FOO=bar", 'B="q v"', "F=val # c", `D="x'`].join("\n"),
  );
  await Deno.writeTextFile(join(dir.path, "b.json"), '{"N":1,"B":true,"L":[1,2],"Z":null}');
  // Strict env: any key the files failed to provide is a validation error naming it.
  const flow = _flow(
    dir.path,
    '{items: ["{{env.B}}", "{{env.F}}", "{{env.D}}", "{{env.FOO:unset}}", "{{env.P_N}}", "{{env.P_B}}", "{{env.P_L}}"]}',
  );
  await Deno.writeTextFile(join(dir.path, "f.yaml"), flow);
  const files = [{ type: "dotenv", path: "a.env" }, {
    type: "json",
    path: join(dir.path, "b.json"),
    prefix: "P_",
  }];
  const env = { AETHERFLOW_ENV_FILES_JSON: JSON.stringify(files), AETHERFLOW_VALIDATE_ENV_STRICT: "true" };
  const ok = await runCli(["validate", "f.yaml"], { cwd: dir.path, env });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const noZ = _flow(dir.path, '{items: ["{{env.P_Z}}"]}');
  await Deno.writeTextFile(join(dir.path, "z.yaml"), noZ);
  const z = await runCli(["validate", "z.yaml"], { cwd: dir.path, env });
  assert.equal(z.code, 2);
  assert.match(z.stdout, /Missing env env\.P_Z/);

  const missing = JSON.stringify([{ type: "dotenv", path: "nope.env" }]);
  const r = await runCli(["validate", "f.yaml"], {
    cwd: dir.path,
    env: { AETHERFLOW_ENV_FILES_JSON: missing },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Env file not found: .*nope\.env/);
});

Deno.test("AETHERFLOW_ENV_FILES_JSON that is not a list is exit 2", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path, "{items: []}"));
  const r = await runCli(["validate", "f.yaml"], { cwd: dir.path, env: { AETHERFLOW_ENV_FILES_JSON: "{}" } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /AETHERFLOW_ENV_FILES_JSON must be a JSON list/);
});

Deno.test("both profile variables are a profiles_conflict (exit 2)", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "f.yaml"), _flow(dir.path, "{items: []}"));
  const r = await runCli(["validate", "f.yaml", "--json"], {
    cwd: dir.path,
    env: { AETHERFLOW_PROFILES_JSON: "{}", AETHERFLOW_PROFILES_FILE: "p.yaml" },
  });
  assert.equal(r.code, 2);
  const report = JSON.parse(r.stdout);
  assert.deepStrictEqual(report.errors[0], {
    code: "semantic:profiles_conflict",
    loc: "profiles",
    msg: "Set only one of AETHERFLOW_PROFILES_JSON or AETHERFLOW_PROFILES_FILE",
  });
});
