// Secrets on error paths (docs/secrets.md "Error paths"): every way a run or a diagnostic command can fail
// before or while it runs — a secrets provider whose expand_env fails quoting a value it decoded, one whose
// decode result is not JSON, an AETHERFLOW_SECRETS_PLUGIN path that does not exist, a capture cap cutting
// through a secret, an env file that does not parse, a flow whose YAML breaks on a line holding a secret — and
// then a grep of stdout, stderr (JSON logs), the state DB's bytes (with its WAL), the per-run log
// (`state.sqlite.logs/<run>.jsonl`, docs/observability.md "Run log"), every other file the command wrote under
// the test's directory (workspace, work dirs) and the run records for each secret and for its first 8
// characters: 0 occurrences.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";
import { PluginCache } from "../testdata/acceptance/kit.ts";

const PLUGINS = new PluginCache();

interface Outcome {
  name: string;
  code: number;
  text: string;
  /** Files (relative to the test's directory) whose bytes are part of `text`. */
  files: string[];
}

/** Relative paths of every regular file under `dir`. */
async function filesUnder(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const path = rel ? join(rel, e.name) : e.name;
    if (e.isDirectory) out.push(...await filesUnder(dir, path));
    else if (e.isFile) out.push(path);
  }
  return out.sort();
}

/** The files each test wrote before its first command (flow, env files, plugins): inputs, not output. */
const INPUTS = new Map<string, Set<string>>();

/**
 * Everything the engine wrote for one command: stdout, stderr and the raw bytes of every file under `dir`
 * that the test did not write itself — the state DB (with WAL/journal), the run log
 * `state.sqlite.logs/<run>.jsonl`, the workspace and job work dirs.
 */
async function runAndCollect(
  name: string,
  args: string[],
  env: Record<string, string>,
  dir: string,
): Promise<Outcome> {
  if (!INPUTS.has(dir)) INPUTS.set(dir, new Set(await filesUnder(dir)));
  const inputs = INPUTS.get(dir)!;
  const r = await runCli(args, { env, cwd: dir });
  let text = `${r.stdout}\n${r.stderr}`;
  const files: string[] = [];
  for (const rel of await filesUnder(dir)) {
    if (inputs.has(rel)) continue;
    const bytes = await Deno.readFile(join(dir, rel)).catch(() => null);
    if (!bytes) continue;
    files.push(rel);
    text += `\n--- ${rel}\n${new TextDecoder("latin1").decode(bytes)}`;
  }
  return { name, code: r.code, text, files };
}

/** The run's own log file was among the files grepped, and it holds the run's lines. */
function assertRunLogGrepped(o: Outcome, runId: string): void {
  const log = join("state.sqlite.logs", `${runId}.jsonl`);
  assert.ok(o.files.includes(log), `${o.name}: no ${log} among ${JSON.stringify(o.files)}`);
  assert.match(o.text, new RegExp(`--- ${log.replaceAll(".", "\\.")}\n\\{`), `${o.name}: ${log} is empty`);
}

/** The run records as `state runs` / `state show` print them (when a state DB exists). */
async function runRecords(dir: string, env: Record<string, string>): Promise<Outcome[]> {
  const db = join(dir, "state.sqlite");
  if (!(await Deno.stat(db).catch(() => null))) return [];
  const out: Outcome[] = [];
  for (
    const args of [["state", "runs", "--db", db, "--json"], ["state", "show", "R1", "--db", db, "--json"]]
  ) {
    out.push(await runAndCollect(args.slice(0, 2).join(" "), args, env, dir));
  }
  return out;
}

function assertNoSecret(outcomes: readonly Outcome[], secrets: readonly string[]): void {
  for (const o of outcomes) {
    for (const secret of secrets) {
      for (const needle of [secret, secret.slice(0, 8)]) {
        assert.ok(!o.text.includes(needle), `${o.name} contains ${JSON.stringify(needle)}:\n${o.text}`);
      }
    }
  }
}

const DIAGNOSTICS = [["validate"], ["validate", "--json"], ["doctor"], ["explain"]] as const;

Deno.test("a secrets provider whose expand_env fails quoting a decoded value: exit 2, nothing shown", async () => {
  await using dir = await tempDir();
  const secret = "DEC(hunter2-enc-4711)";
  await PLUGINS.pinBeside(dir.path, ["h_secrets_expand_fail", "t_echo"]);
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps:\n      - {id: s, type: t_echo}\n");
  const env = { DB_PW_ENC: "hunter2-enc-4711", AETHERFLOW_LOG_FORMAT: "json" };
  const outcomes: Outcome[] = [];
  for (const args of [...DIAGNOSTICS, ["run", "--run-id", "R1"]]) {
    const o = await runAndCollect(args.join(" "), [...args, flow], env, dir.path);
    assert.equal(o.code, 2, `${o.name}: ${o.text}`);
    assert.match(o.text, /h_secrets_expand_fail@1\.0\.0 failed in aetherflow_expand_env/, o.name);
    outcomes.push(o);
  }
  outcomes.push(...await runRecords(dir.path, env));
  assertNoSecret(outcomes, [secret]);
});

Deno.test("a decode result that is not JSON fails the run without quoting it", async () => {
  await using dir = await tempDir();
  const secret = "DEC(res-key-2600)";
  await PLUGINS.pinBeside(dir.path, ["h_secrets_bad_decode", "t_echo"]);
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps:\n      - {id: s, type: t_echo}\n", {
    resources: "  r1: {kind: echo, driver: echo, config: {key: res-key-2600}, decode: {config: {key: true}}}",
  });
  const env = { AETHERFLOW_LOG_FORMAT: "json" };
  const run = await runAndCollect("run", ["run", flow, "--run-id", "R1"], env, dir.path);
  assert.equal(run.code, 1, run.text);
  assert.match(run.text, /h_secrets_bad_decode@1\.0\.0 returned malformed JSON from aetherflow_decode/);
  assertRunLogGrepped(run, "R1");
  assertNoSecret([run, ...await runRecords(dir.path, env)], [secret]);
});

Deno.test("an AETHERFLOW_SECRETS_PLUGIN path that does not exist is reported masked", async () => {
  await using dir = await tempDir();
  const secret = "zz-vault-plugin-9876.wasm";
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps:\n      - {id: s, type: noop}\n");
  const env = { AETHERFLOW_SECRETS_PLUGIN: secret, AETHERFLOW_LOG_FORMAT: "json" };
  const outcomes: Outcome[] = [];
  for (const args of [...DIAGNOSTICS, ["run", "--run-id", "R1"]]) {
    const o = await runAndCollect(args.join(" "), [...args, flow], env, dir.path);
    assert.equal(o.code, 2, `${o.name}: ${o.text}`);
    assert.match(o.text, /Plugin path not found: .*\*\*\*/, o.name);
    outcomes.push(o);
  }
  assertNoSecret(outcomes, [secret]);
});

Deno.test("a capture cap cutting through a secret stores no part of it", async () => {
  await using dir = await tempDir();
  const secret = "tok-abcdefghijklmnopqrstuvwxyz-0042";
  // 1010 bytes of filler, then the token: the 1 KiB cap falls 14 characters into it.
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - id: s
        type: external.process
        inputs:
          command: [sh, -c, 'head -c 1010 /dev/zero | tr "\\0" x; printf "%s\\n" "$API_TOKEN"; printf "%s" "$API_TOKEN" >&2']
          log: {stdout: capture, stderr: capture, max_capture_kb: 1}
        outputs: {out: "{{result.stdout}}", err: "{{result.stderr}}"}
`,
  );
  const env = { API_TOKEN: secret, AETHERFLOW_LOG_FORMAT: "json" };
  const run = await runAndCollect("run", ["run", flow, "--run-id", "R1"], env, dir.path);
  assert.equal(run.code, 0, run.text);
  assert.match(run.text, /stdout_truncated/);
  assert.match(run.text, /x{1000}/, "the part before the secret is kept");
  assertRunLogGrepped(run, "R1");
  assertNoSecret([run, ...await runRecords(dir.path, env)], [secret]);
});

Deno.test("pre-run errors: an env file that does not parse and a flow that breaks on a secret's line", async () => {
  await using dir = await tempDir();
  const envSecret = "envfile-pw-777";
  const token = "tok-zyxwvutsrq-1234";
  await Deno.writeTextFile(join(dir.path, "broken.json"), `{"DB_PASSWORD": "${envSecret}" "X": 1}`);
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a\n    steps:\n      - {id: s, type: noop, inputs: {t: "${token}"\n`,
  );
  const outcomes: Outcome[] = [];
  const cases: [string, Record<string, string>][] = [
    ["env file", {
      AETHERFLOW_ENV_FILES_JSON: JSON.stringify([{ type: "json", path: join(dir.path, "broken.json") }]),
    }],
    ["flow yaml", { API_TOKEN: token }],
  ];
  for (const [name, extra] of cases) {
    const env = { ...extra, AETHERFLOW_LOG_FORMAT: "json" };
    for (const args of [...DIAGNOSTICS, ["run", "--run-id", "R1"]]) {
      const o = await runAndCollect(`${name}: ${args.join(" ")}`, [...args, flow], env, dir.path);
      assert.equal(o.code, 2, `${o.name}: ${o.text}`);
      outcomes.push(o);
    }
  }
  assertNoSecret(outcomes, [envSecret, token]);
});
