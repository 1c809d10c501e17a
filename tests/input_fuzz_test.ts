// Fuzz every input format a user hands the CLI: each row below is one format — its seed documents, how the
// engine reads one in-process, and the CLI command that reads it. Each format gets ≥ 1,000 seeded mutations
// in-process (the bulk, fast): the reader must answer (a report, issues) or throw an error the CLI turns into
// exit 2 with a message — never anything else — within 5 s per input. A few mutations per format go through
// the real CLI: exit 0 or 2, a message, no stack trace. A new format is one more row.
// Reproduce a failure with AF_FUZZ_SEED=<seed> (printed with it).
import assert from "node:assert/strict";
import { join } from "node:path";
import { AetherflowError, EXIT } from "../engine/errors.ts";
import { validateFlowSource } from "../engine/flow/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import { loadEnvFile, loadSettings, readProfilesSource } from "../engine/config/mod.ts";
import { parseSchedulerYaml } from "../engine/scheduler/parse_scheduler_yaml.ts";
import { decodeSource } from "../engine/flow/mod.ts";
import { parseManifest } from "../engine/bundles/load_manifest.ts";
import { filesystemManifest } from "../engine/bundles/_test_kit.ts";
import { readPluginLock } from "../plugins/lock/mod.ts";
import { ROOT, runCli, tempDir } from "./_helpers.ts";
import { mutate } from "./_fuzz.ts";
import { prng } from "./_prng.ts";

const SEED = Number(Deno.env.get("AF_FUZZ_SEED") ?? "20261128");
const RUNS = 1_000;
const CLI_RUNS = 3;
const INPUT_BUDGET_MS = 5_000;
const SHA = "a".repeat(64);

interface Format {
  name: string;
  /** Seed documents: valid and invalid examples of the format. */
  seeds(): Promise<string[]>;
  /** The file the mutated bytes are written to (in a temp dir). */
  file: string;
  /** Read it as the engine does. Throwing is allowed only as an exit-2 AetherflowError. */
  read(path: string, bytes: Uint8Array, dir: string): unknown;
  /** The CLI invocation that reads it. */
  cli(path: string, dir: string): { args: string[]; env?: Record<string, string> };
}

async function filesIn(dir: string, suffixes: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && suffixes.some((s) => e.name.endsWith(s))) {
      out.push(await Deno.readTextFile(join(dir, e.name)));
    }
  }
  return out.sort();
}

const MINIMAL_FLOW =
  "flow: {id: fuzz}\njobs:\n  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n";
const registry = StepRegistry.withBuiltins();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const minimalFlow = (dir: string) => join(dir, "flow.yaml");

const FORMATS: readonly Format[] = [
  {
    name: "flows",
    seeds: async () => [
      ...await filesIn(join(ROOT, "testdata/flows/valid"), [".yaml"]),
      ...await filesIn(join(ROOT, "testdata/flows/invalid"), [".yaml", ".yaml.txt"]),
    ],
    file: "flow.yaml",
    read: (path, bytes) => validateFlowSource({ flowYaml: path, source: bytes, snapshot: {}, registry }),
    cli: (path) => ({ args: ["validate", path, "--json"] }),
  },
  {
    name: "profiles",
    seeds: () =>
      Promise.resolve([
        "main:\n  config: {host: db.local, port: 5432}\n  options: {timeout: 5}\n  decode: {config: {password: true}}\n",
        '{"main": {"config": {"token": "{{env.TOKEN:x}}"}}}',
        "a: {config: {x: 1}}\nb: [1, 2]\nc: {unknown: 1}\n",
      ]),
    file: "profiles.yaml",
    read: (path) => readProfilesSource({ AETHERFLOW_PROFILES_FILE: path }),
    cli: (path, dir) => ({ args: ["validate", minimalFlow(dir)], env: { AETHERFLOW_PROFILES_FILE: path } }),
  },
  {
    name: "env files (dotenv)",
    seeds: () =>
      Promise.resolve([
        'A=1\nexport B="two words"\nC=\'single\'\n# comment\nD="multi\\nline"\nE=${A}\n',
        "KEY=value with = sign\nEMPTY=\n  SPACED = x \n",
      ]),
    file: "app.env",
    read: (path, _bytes, dir) => loadEnvFile({ type: "dotenv", path }, { cwd: dir }),
    cli: (path, dir) => ({
      args: ["validate", minimalFlow(dir)],
      env: { AETHERFLOW_ENV_FILES_JSON: JSON.stringify([{ type: "dotenv", path }]) },
    }),
  },
  {
    name: "env files (json)",
    seeds: () =>
      Promise.resolve([
        '{"A": "1", "B": 2, "C": true, "D": null, "E": {"nested": [1, 2]}}',
        '{\n  "TOKEN": "abc",\n  "LIST": ["x", "y"]\n}\n',
      ]),
    file: "extra.json",
    read: (path, _bytes, dir) => loadEnvFile({ type: "json", path }, { cwd: dir }),
    cli: (path, dir) => ({
      args: ["validate", minimalFlow(dir)],
      env: { AETHERFLOW_ENV_FILES_JSON: JSON.stringify([{ type: "json", path }]) },
    }),
  },
  {
    name: "settings",
    seeds: () =>
      Promise.resolve([
        "log_level: INFO\nlog_format: json\nwork_root: /tmp/af\nplugin_strict: false\n",
        '{"log_level": "DEBUG", "metrics_textfile": "/tmp/x.prom", "plugin_paths": ["a", "b"]}',
        "unknown_setting: 1\nlog_level: LOUD\n",
      ]),
    file: "settings.yaml",
    read: (path, _bytes, dir) => loadSettings({ AETHERFLOW_SETTINGS_FILE: path }, { cwd: dir }),
    cli: (path) => ({ args: ["settings", "--json"], env: { AETHERFLOW_SETTINGS_FILE: path } }),
  },
  {
    name: "scheduler files",
    seeds: () => filesIn(join(ROOT, "testdata/scheduler"), [".yaml"]),
    file: "scheduler.yaml",
    read: (path, bytes) => parseSchedulerYaml(text(bytes), path, { now: Date.UTC(2026, 0, 1) }),
    cli: (path) => ({ args: ["schedule", "validate", path, "--json"] }),
  },
  {
    name: "plugin locks",
    seeds: () =>
      Promise.resolve([
        `version: 1\nplugins:\n  - path: p.wasm\n    sha256: ${SHA}\n    grants: {hosts: [api.example.com, "*.internal.example:8443"], files: artifacts, timeout_ms: 1000}\n    run: worker\n`,
        JSON.stringify({
          version: 1,
          plugins: [{ path: "a.wasm", sha256: SHA, grants: { resources: ["r1"] } }],
        }),
        `version: 1\nplugins:\n  - {path: x.wasm, sha256: ${SHA}, grants: {dirs: {/inbox: {path: /srv/in, mode: rw}}}}\n`,
      ]),
    file: "aetherflow.plugins.yaml",
    read: (path) => readPluginLock(path),
    cli: (path, dir) => ({ args: ["validate", minimalFlow(dir)], env: { AETHERFLOW_PLUGIN_LOCK: path } }),
  },
  {
    name: "bundle manifests",
    seeds: async () => [
      filesystemManifest(),
      filesystemManifest({ extra: "  env_files: [app.env, {type: json, path: x.json, prefix: X_}]\n" }),
      ...await filesIn(join(ROOT, "testdata/scheduler/uc1"), [".yaml"]),
    ],
    file: "manifest.yaml",
    read: (path, bytes) => {
      const decoded = decodeSource(bytes);
      return "issue" in decoded ? decoded.issue : parseManifest(decoded.text, { file: path });
    },
    cli: (path, dir) => ({
      args: ["bundle", "status", "--bundle-manifest", path, "--work-root", join(dir, "wr")],
    }),
  },
];

function allowed(err: unknown): boolean {
  return err instanceof AetherflowError && err.exitCode === EXIT.INVALID;
}

for (const [index, format] of FORMATS.entries()) {
  Deno.test(`fuzz ${format.name}: ${RUNS} mutations read in-process, exit-2 errors only, each within 5 s`, async () => {
    const seeds = await format.seeds();
    assert.ok(seeds.length >= 2, `${format.name}: a corpus of seed documents`);
    await using dir = await tempDir();
    await Deno.writeTextFile(minimalFlow(dir.path), MINIMAL_FLOW);
    const path = join(dir.path, format.file);
    const rnd = prng(SEED + index);
    for (let i = 0; i < RUNS; i++) {
      const bytes = mutate(seeds[i % seeds.length]!, rnd);
      await Deno.writeFile(path, bytes);
      const started = performance.now();
      try {
        await format.read(path, bytes, dir.path);
      } catch (err) {
        if (!allowed(err)) {
          throw new Error(
            `${format.name}: case ${i} (AF_FUZZ_SEED=${SEED}) threw ${
              err instanceof Error ? err.stack : err
            }\n` +
              `--- input ---\n${text(bytes)}`,
          );
        }
        assert.ok((err as Error).message.trim() !== "", `${format.name}: case ${i} has an empty message`);
      }
      const ms = performance.now() - started;
      assert.ok(ms < INPUT_BUDGET_MS, `${format.name}: case ${i} took ${ms.toFixed(0)} ms\n${text(bytes)}`);
    }
  });
}

Deno.test(`fuzz through the CLI: ${CLI_RUNS} mutations per format exit 0 or 2 with a message, no stack trace`, async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(minimalFlow(dir.path), MINIMAL_FLOW);
  const cases: { name: string; args: string[]; env?: Record<string, string>; input: string }[] = [];
  for (const [index, format] of FORMATS.entries()) {
    const seeds = await format.seeds();
    const rnd = prng((SEED ^ 0x5eed) + index);
    for (let i = 0; i < CLI_RUNS; i++) {
      const sub = join(dir.path, `${index}-${i}`);
      await Deno.mkdir(sub);
      await Deno.writeTextFile(minimalFlow(sub), MINIMAL_FLOW);
      const path = join(sub, format.file);
      const bytes = mutate(seeds[i % seeds.length]!, rnd);
      await Deno.writeFile(path, bytes);
      cases.push({ name: `${format.name} #${i}`, ...format.cli(path, sub), input: text(bytes) });
    }
  }
  // A few at a time: each is a separate deno process.
  for (let i = 0; i < cases.length; i += 4) {
    const batch = cases.slice(i, i + 4);
    const results = await Promise.all(batch.map((c) => runCli(c.args, { env: c.env })));
    results.forEach((res, k) => {
      const c = batch[k]!;
      const where = `${c.name} (AF_FUZZ_SEED=${SEED}): ${res.stdout}${res.stderr}\n--- input ---\n${c.input}`;
      assert.ok(res.code === 0 || res.code === 2, `exit ${res.code} for ${where}`);
      assert.doesNotMatch(res.stderr, /^\s+at /m, `stack trace for ${where}`);
      assert.doesNotMatch(res.stderr, /Internal error/, `internal error for ${where}`);
      if (res.code === 2) assert.ok(`${res.stdout}${res.stderr}`.trim() !== "", `no message for ${where}`);
    });
  }
});
