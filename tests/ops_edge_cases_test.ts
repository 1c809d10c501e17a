// Ops edge cases found by exploratory QA: ids used as directory names, parser excerpts in error messages.
import assert from "node:assert/strict";
import { runCli, stateRows, tempDir, writeDemoFlow } from "./_helpers.ts";

async function _exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("run never deletes outside the workspace: a job id '..' with run id '..' fails instead", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/precious.txt`, "keep me");
  const flow = `${dir.path}/f.yaml`;
  await Deno.writeTextFile(
    flow,
    [
      "flow:",
      "  id: f",
      `  workspace: {root: ${dir.path}/ws, cleanup_policy: always}`,
      `  state: {path: ${dir.path}/state.sqlite}`,
      "jobs:",
      "  - id: '..'",
      "    steps:",
      "      - {id: s, type: check_items, inputs: {items: [1]}}",
      "  - id: ok",
      "    steps: []",
      "",
    ].join("\n"),
  );
  // The run id is checked first: usage error, nothing created.
  for (const runId of ["..", "a/../..", ""]) {
    const r = await runCli(["run", flow, "--run-id", runId]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `Error: Invalid --run-id ${JSON.stringify(runId)}: ${
        runId === "" ? "it is empty" : 'it has a "." or ".." path segment'
      }\n`,
    );
    assert.equal(await _exists(`${dir.path}/state.sqlite`), false);
  }
  // A job id that is not a directory name fails that job (exit 1); other jobs run; nothing outside is touched.
  const r = await runCli(["run", flow, "--run-id", "R"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /Job failed: Cannot use job id "\.\." in the job directory path: it has a "\." or "\.\." path segment/,
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(await Deno.readTextFile(`${dir.path}/precious.txt`), "keep me");
  assert.equal(await _exists(flow), true);
  assert.deepEqual(
    stateRows(`${dir.path}/state.sqlite`, "SELECT job_id, status FROM job_runs ORDER BY job_id"),
    [
      { job_id: "..", status: "FAILED" },
      { job_id: "ok", status: "SUCCESS" },
    ],
  );
});

Deno.test("parse errors of env files, profiles and settings never quote the input (it may hold a secret)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps: []\n");
  await Deno.writeTextFile(`${dir.path}/e.json`, '{"DB_PASSWORD": hunter2secret}');
  await Deno.writeTextFile(`${dir.path}/p.yaml`, 'p:\n  config:\n    password: "hunter2secret\n  x: [\n');
  await Deno.writeTextFile(`${dir.path}/s.yaml`, "otlp_endpoint: http://u:hunter2secret@x: y\n");
  const envJson = await runCli(["run", flow], {
    env: { AETHERFLOW_ENV_FILES_JSON: JSON.stringify([{ type: "json", path: `${dir.path}/e.json` }]) },
  });
  assert.equal(envJson.code, 2);
  assert.equal(envJson.stderr, `Error: Invalid JSON in env file ${dir.path}/e.json: Unexpected token 'h'\n`);
  const profilesJson = await runCli(["validate", flow], {
    env: { AETHERFLOW_PROFILES_JSON: '{"p": {"config": {"password": hunter2secret}}}' },
  });
  const profilesFile = await runCli(["doctor", flow], {
    env: { AETHERFLOW_PROFILES_FILE: `${dir.path}/p.yaml` },
  });
  const settings = await runCli(["settings"], { env: { AETHERFLOW_SETTINGS_FILE: `${dir.path}/s.yaml` } });
  for (const r of [profilesJson, profilesFile, settings]) {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
  }
  assert.match(profilesFile.stdout, /Invalid profile configuration: .* at line \d+, column \d+ \(/);
  assert.match(settings.stderr, /^Error: Invalid settings file .*s\.yaml: .* at line 1, column \d+\n$/);
});

Deno.test("a directory or a device given as the flow is named as such, exit 2 (validate, run, doctor, explain)", async () => {
  await using dir = await tempDir();
  for (const cmd of ["validate", "run", "doctor", "explain"]) {
    for (const path of [dir.path, "/dev/null"]) {
      const r = await runCli([cmd, path]);
      assert.equal(r.code, 2, `${cmd} ${path}: ${r.stderr}`);
      assert.equal(r.stderr, `Error: Flow file is not a regular file: ${path}\n`);
    }
  }
  const missing = await runCli(["validate", `${dir.path}/nope.yaml`]);
  assert.equal(missing.stderr, `Error: Flow file not found: ${dir.path}/nope.yaml\n`);
});

Deno.test("state runs/show name a --db that is a directory or a device, exit 2", async () => {
  await using dir = await tempDir();
  for (const db of [dir.path, "/dev/null"]) {
    for (const args of [["state", "runs", "--db", db], ["state", "show", "R", "--db", db]]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `Error: State database is not a regular file: ${db}\n`);
    }
  }
});
