// Secrets never leave the engine unmasked (docs/configuration.md, D18; issue 4): one run whose secrets come from a
// dotenv and a json env file (AETHERFLOW_ENV_FILES_JSON), a profiles file (AETHERFLOW_PROFILES_FILE) and a
// pinned secrets-provider plugin (t_secrets: decode -> `DEC(v)`, expand_env adds DERIVED), then a grep of
// everything the engine wrote: stdout, stderr (JSON logs), every text column of the state DB and its raw bytes,
// the per-run log file (state.sqlite.logs/R1.jsonl), the run record (`state show`/`state runs`), a child's output
// in every log mode, files under the workspace, the metrics textfile, and the output of validate, doctor and
// explain. The t_peek connector proves the decoded values really arrived.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { runCli, stateRows, tempDir } from "./_helpers.ts";
import { dumpStateText, jsonLines, PluginCache, unpeek } from "../testdata/acceptance/kit.ts";

const PLUGINS = new PluginCache();

const RAW = {
  DB_PASSWORD: "dotenv-Pw-31337",
  API_TOKEN: "api-tok-8086",
  X_JSON_SECRET: "json-Secret-6502",
  X_PROFILE_TOKEN: "prof-tok-68000",
} as const;
const DECODED = [`DEC(${RAW.API_TOKEN})`, `DEC(${RAW.X_PROFILE_TOKEN})`] as const;
const SECRETS = [...Object.values(RAW), ...DECODED];

function flowText(dir: string): string {
  return `flow:
  id: demo
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  r1:
    kind: test
    driver: t_peek
    profile: main
    config: {key: "{{env.API_TOKEN}}", user: "{{env.PLAIN}}"}
    decode: {config: {key: true}}
  r2: {kind: test, driver: t_resources, profile: main, config: {user: "{{env.PLAIN}}"}}
jobs:
  - id: prep
    steps:
      - id: echo
        type: t_echo
        inputs:
          pw: "{{env.DB_PASSWORD}}"
          js: "{{env.X_JSON_SECRET}}"
          derived: "{{env.DERIVED}}"
          plain: "{{env.PLAIN}}"
        outputs: {pw: "{{result.pw}}", plain: "{{result.plain}}"}
      - id: sh
        type: external.process
        inputs:
          command: [sh, -c, 'echo "pw=$DB_PASSWORD"; echo "js=$X_JSON_SECRET" >&2']
          log: {stdout: capture, stderr: capture}
      - id: shi
        type: external.process
        inputs:
          command: [sh, -c, 'echo "inh=$DB_PASSWORD $API_TOKEN $X_PROFILE_TOKEN"; echo "err=$X_JSON_SECRET" >&2']
          log: {stderr: file, file_path: logs/shi.log}
  - id: use
    depends_on: [prep]
    steps:
      - {id: c1, type: t_conn, inputs: {resource: r1}}
      - {id: c2, type: t_conn, inputs: {resource: r2}}
`;
}

async function setUp(dir: string): Promise<{ flow: string; env: Record<string, string> }> {
  await Deno.writeTextFile(
    join(dir, "app.env"),
    `DB_PASSWORD=${RAW.DB_PASSWORD}\nAPI_TOKEN="${RAW.API_TOKEN}"\nPLAIN=visible-value\n`,
  );
  await Deno.writeTextFile(
    join(dir, "extra.json"),
    JSON.stringify({ JSON_SECRET: RAW.X_JSON_SECRET, PROFILE_TOKEN: RAW.X_PROFILE_TOKEN }),
  );
  await Deno.writeTextFile(
    join(dir, "profiles.yaml"),
    'main:\n  config: {token: "{{env.X_PROFILE_TOKEN}}"}\n  decode: {config: {token: true}}\n',
  );
  const flow = join(dir, "f.yaml");
  await Deno.writeTextFile(flow, flowText(dir));
  await PLUGINS.pinBeside(dir, ["t_echo", "t_conn", "t_peek", "t_resources", "t_secrets"]);
  const env: Record<string, string> = {
    AETHERFLOW_ENV_FILES_JSON: JSON.stringify([
      { type: "dotenv", path: join(dir, "app.env") },
      { type: "json", path: join(dir, "extra.json"), prefix: "X_" },
    ]),
    AETHERFLOW_PROFILES_FILE: join(dir, "profiles.yaml"),
    AETHERFLOW_LOG_FORMAT: "json",
    AETHERFLOW_METRICS_TEXTFILE: join(dir, "aetherflow.prom"),
  };
  return { flow, env };
}

/** Every file under `root` (recursively) as `[relative path, text]`. */
async function readTree(root: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const full = join(dir, e.name);
      if (e.isDirectory) await walk(full);
      else if (e.isFile) {
        out.push([relative(root, full), new TextDecoder("latin1").decode(await Deno.readFile(full))]);
      }
    }
  }
  await walk(root).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  return out;
}

function assertNoSecret(where: string, text: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `${where} contains the secret ${JSON.stringify(secret.slice(0, 3))}…`);
  }
}

Deno.test("no secret value, raw or decoded, appears in anything a run or a diagnostic command writes (D18)", async () => {
  await using dir = await tempDir();
  const { flow, env } = await setUp(dir.path);

  const run = await runCli(["run", flow, "--run-id", "R1"], { env });
  assert.equal(run.code, 0, run.stderr);

  // The secrets were really used: decoded values reached the connectors, env values the steps.
  const steps = stateRows(join(dir.path, "state.sqlite"), "SELECT step_id, output_json FROM step_runs");
  const out = Object.fromEntries(steps.map((s) => [s.step_id, JSON.parse(String(s.output_json))]));
  assert.deepEqual(unpeek(out.c1), { token: DECODED[1], key: DECODED[0], user: "visible-value" });
  assert.deepEqual(
    out.c2?.response?.result?.config,
    { token: "***", user: "visible-value" },
    JSON.stringify(out),
  );
  assert.deepEqual(out.echo, { pw: "***", js: "***", derived: "derived", plain: "visible-value" });
  assert.equal(out.sh.stdout, "pw=***\n");
  assert.equal(out.sh.stderr, "js=***\n");
  // A child's output in inherit (stdout) and file (stderr) mode is masked too (docs/secrets.md "Child process
  // output").
  assert.ok(run.stdout.includes("inh=*** *** ***\n"), run.stdout);
  const shiLog = await Deno.readTextFile(join(dir.path, "ws/demo/prep/R1/artifacts/logs/shi.log"));
  assert.equal(shiLog, "err=***\n");

  // Logs: every line is JSON, the step and process output is there, masked.
  const lines = jsonLines(run.stderr);
  const messages = lines.map((l) => String(l.message ?? ""));
  assert.ok(messages.some((m) => m.startsWith("ECHO prep echo ") && m.includes('"pw":"***"')), run.stderr);
  assert.ok(lines.some((l) => JSON.stringify(l).includes("pw=***")), run.stderr);
  assert.ok(lines.some((l) => l.event === "run_summary"));

  const texts: [string, string][] = [["run stdout", run.stdout], ["run stderr", run.stderr]];
  for (const line of dumpStateText(join(dir.path, "state.sqlite"))) texts.push(["state", line]);
  for (const [name, text] of await readTree(dir.path)) {
    // Inputs the user wrote (env files, profiles, flow, lock, plugins) are not the engine's output.
    if (/^(app\.env|extra\.json|profiles\.yaml|f\.yaml|aetherflow\.plugins\.yaml|\w+\.wasm)$/.test(name)) {
      continue;
    }
    texts.push([`file ${name}`, text]);
  }
  assert.ok(texts.some(([name]) => name === "file aetherflow.prom"), "metrics textfile written");
  // The run's own log (docs/observability.md "Run log") is among the files grepped, with the masked lines.
  const runLog = texts.find(([name]) => name === "file state.sqlite.logs/R1.jsonl")?.[1] ?? "";
  assert.ok(runLog.includes("pw=***") && runLog.includes('"event":"run_summary"'), `run log: ${runLog}`);
  // The runner itself writes no files in the workspace (docs/execution-model.md), only the job's layout dirs.
  assert.ok((await Deno.stat(join(dir.path, "ws/demo/use/R1/artifacts"))).isDirectory);

  const db = join(dir.path, "state.sqlite");
  const runRecord = JSON.parse(String(stateRows(db, "SELECT plugins_json FROM runs")[0]!.plugins_json));
  assert.deepEqual(runRecord.map((p: { name: string }) => p.name).sort(), [
    "t_conn",
    "t_echo",
    "t_peek",
    "t_resources",
    "t_secrets",
  ]);
  for (
    const args of [["state", "show", "R1", "--db", db, "--json"], ["state", "show", "R1", "--db", db], [
      "state",
      "runs",
      "--db",
      db,
      "--json",
    ]]
  ) {
    const r = await runCli(args, { env });
    assert.equal(r.code, 0, r.stderr);
    texts.push([args.slice(0, 2).join(" "), r.stdout + r.stderr]);
  }
  const show = texts.find(([n]) => n === "state show")![1];
  assert.ok(show.includes("***"), show);

  for (
    const args of [["validate"], ["validate", "--json"], ["doctor"], ["doctor", "--json"], ["explain"], [
      "explain",
      "--json",
    ]]
  ) {
    const r = await runCli([...args, flow], { env });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    texts.push([args.join(" "), r.stdout + r.stderr]);
  }
  const explain = texts.find(([n]) => n === "explain")![1];
  assert.match(explain, /Resource: r1 \(test\/t_peek\) profile=main/);

  for (const [where, text] of texts) assertNoSecret(where, text);
  const all = texts.map(([, t]) => t).join("\n");
  assert.ok(all.includes("***"));
});
