// `aetherflow bundle sync|status` and `run|validate --bundle-manifest` end to end (docs/bundles.md).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { runCli, stateRows, tempDir } from "./_helpers.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";

async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, rel)), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(join(root, rel), content);
    else await Deno.writeFile(join(root, rel), content);
  }
}

/** A manifest reading `src/` next to it; `extra` lines go at the top level. */
function manifest(options: { mode?: string; layout?: string; extra?: string; source?: string } = {}): string {
  return [
    ...(options.mode ? [`mode: ${options.mode}`] : []),
    "bundle:",
    "  id: b1",
    `  source: ${options.source ?? "{type: filesystem, base_path: src}"}`,
    `  layout: ${options.layout ?? "{flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}"}`,
    "  entry_flow: flows/main.yaml",
    options.extra ?? "",
  ].join("\n");
}

/** An entry flow whose one step prints the bundle wiring it sees (and `extra` step lines). */
function envFlow(dir: string, extraSteps = ""): string {
  const script = "echo MODE=$AETHERFLOW_MODE ENT=$AETHERFLOW_MODE_ENTERPRISE ACTIVE=$AETHERFLOW_ACTIVE_DIR " +
    "PLUGINS=$AETHERFLOW_PLUGIN_PATHS PROFILES=$AETHERFLOW_PROFILES_FILE";
  return `flow:
  id: main
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
jobs:
  - id: j
    steps:
      - id: env
        type: external.process
        inputs:
          command: ["sh", "-c", ${JSON.stringify(script)}]
          log: {stdout: inherit}
${extraSteps}`;
}

Deno.test("bundle sync/status: CHANGED then UNCHANGED, JSON keys, status before and after", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  await writeFiles(d, {
    "m.yaml": manifest(),
    "src/flows/main.yaml": envFlow(d),
    "src/profiles.yaml": "{}\n",
    "src/plugins/x.wasm": "x",
  });
  const args = ["--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`];
  const before = await runCli(["bundle", "status", ...args, "--json"], { cwd: d });
  assert.equal(before.code, 0, before.stderr);
  const s0 = JSON.parse(before.stdout);
  assert.deepEqual(Object.keys(s0), [
    "ok",
    "bundle_manifest",
    "bundle_id",
    "work_root",
    "bundle_root",
    "active_dir",
    "cache_dir",
    "fingerprints_dir",
    "fingerprint",
    "has_active",
  ]);
  assert.deepEqual([s0.bundle_id, s0.fingerprint, s0.has_active], ["b1", null, false]);
  assert.equal(await Deno.stat(`${d}/wr`).then(() => true, () => false), false, "status creates nothing");

  const first = await runCli(["bundle", "sync", ...args, "--json"], { cwd: d });
  assert.equal(first.code, 0, first.stderr);
  const j = JSON.parse(first.stdout);
  assert.deepEqual(Object.keys(j), [
    "ok",
    "bundle_manifest",
    "local_root",
    "active_dir",
    "cache_dir",
    "fingerprints_dir",
    "fingerprint",
    "changed",
    "fetched_files",
  ]);
  assert.equal(j.bundle_manifest, "m.yaml");
  assert.equal(j.local_root, `${d}/wr/bundles/b1/active`);
  assert.deepEqual([j.changed, j.fetched_files], [true, [
    "flows/main.yaml",
    "plugins/x.wasm",
    "profiles.yaml",
  ]]);

  const second = await runCli(["bundle", "sync", ...args, "--print-local-root"], { cwd: d });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    second.stdout,
    `UNCHANGED: bundle synced to ${d}/wr/bundles/b1/active fingerprint=${j.fingerprint}\n${d}/wr/bundles/b1/active\n`,
  );
  const after = await runCli(["bundle", "status", ...args], { cwd: d });
  assert.equal(
    after.stdout.split("\n")[0],
    `bundle_id=b1 fingerprint=${j.fingerprint} has_active=yes`,
  );
});

Deno.test("bundle sync: usage and manifest errors exit 2 with the location", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  await writeFiles(d, { "m.yaml": manifest().replace("entry_flow:", "fetch_polciy: always\n  entry_flow:") });
  const bad = await runCli(["bundle", "sync", "--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`], {
    cwd: d,
  });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Unknown bundle keys: bundle\.fetch_polciy \(did you mean 'fetch_policy'\?\) \(m\.yaml:5:3\)/,
  );
  assert.ok(!bad.stderr.includes("    at "), "no stack trace");
  const missing = await runCli(["bundle", "sync", "--bundle-manifest", "nope.yaml"], { cwd: d });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Bundle manifest not found: nope\.yaml/);
  assert.equal((await runCli(["bundle", "status"], { cwd: d })).code, 2);
});

Deno.test("bundle sync --allow-stale-bundle keeps the active bundle when the entry flow vanished", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  await writeFiles(d, {
    "m.yaml": manifest(),
    "src/flows/main.yaml": envFlow(d),
    "src/profiles.yaml": "{}\n",
  });
  const args = ["bundle", "sync", "--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`];
  assert.equal((await runCli(args, { cwd: d })).code, 0);
  await Deno.remove(join(d, "src/flows/main.yaml"));
  const failed = await runCli(args, { cwd: d });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /Error: entry_flow not found in bundle: flows\/main\.yaml/);
  const stale = await runCli([...args, "--allow-stale-bundle"], { cwd: d });
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stdout, /^UNCHANGED: bundle synced to /);
  assert.match(
    stale.stderr,
    /WARNING aetherflow\.bundles - Bundle sync failed, using stale active bundle_id=b1: entry_flow/,
  );
  const lastError = JSON.parse(await Deno.readTextFile(`${d}/wr/bundles/b1/last_error.json`));
  assert.equal(lastError.error, "entry_flow not found in bundle: flows/main.yaml");
});

Deno.test("two concurrent bundle syncs serialise: one CHANGED, one UNCHANGED, same fingerprint", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  const files: Record<string, string> = { "m.yaml": manifest(), "src/profiles.yaml": "{}\n" };
  files["src/flows/main.yaml"] = envFlow(d);
  for (let i = 0; i < 30; i++) files[`src/data/f${i}.txt`] = `${i}\n`.repeat(500);
  await writeFiles(d, files);
  const args = ["bundle", "sync", "--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`, "--json"];
  const [a, b] = await Promise.all([runCli(args, { cwd: d }), runCli(args, { cwd: d })]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
  assert.deepEqual([ra.changed, rb.changed].sort(), [false, true]);
  assert.equal(ra.fingerprint, rb.fingerprint);
  assert.deepEqual([...Deno.readDirSync(`${d}/wr/bundles/b1/versions`)].map((e) => e.name), [ra.fingerprint]);
});

Deno.test("run --bundle-manifest: the entry flow from the resolved version, wiring, env files, run record", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  const plugin = await writeTestPlugin("t_echo", d);
  const echo = `      - id: echo
        type: t_echo
        inputs: {greeting: "{{env.GREETING}}", region: "{{env.P_REGION}}"}
`;
  await writeFiles(d, {
    "m.yaml": manifest({
      extra: [
        'env_files: ["env/common.env", {type: json, path: env/x.json, prefix: P_}]',
        `plugins: [{path: plugins/t_echo.wasm, sha256: ${plugin.sha256}}]`,
      ].join("\n"),
    }),
    "src/flows/main.yaml": envFlow(d, echo),
    "src/flows/other.yaml": envFlow(d),
    "src/profiles.yaml": "{}\n",
    "src/env/common.env": "GREETING=hello\n",
    "src/env/x.json": '{"REGION": "eu"}\n',
    "src/plugins/t_echo.wasm": await Deno.readFile(plugin.path),
  });
  const env = { AETHERFLOW_WORK_ROOT: `${d}/wr`, AETHERFLOW_PLUGIN_PATHS: `${d}/elsewhere` };
  // The entry flow may be named, relative to the bundle.
  const ok = await runCli(["validate", "flows/main.yaml", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const run = await runCli(["run", "--bundle-manifest", "m.yaml", "--run-id", "r1"], { cwd: d, env });
  assert.equal(run.code, 0, run.stderr);
  const version = Deno.realPathSync(`${d}/wr/bundles/b1/active`);
  assert.match(run.stdout, new RegExp(`"flow_yaml":"${version}/flows/main\\.yaml"`));
  assert.ok(
    run.stdout.includes(
      `MODE=internal_fast ENT=false ACTIVE=${version} PLUGINS=${version}/plugins PROFILES=${version}/profiles.yaml`,
    ),
    run.stdout,
  );
  assert.match(run.stderr, /ECHO j echo \{"greeting":"hello","region":"eu"\}/);
  const [rec] = stateRows(
    `${d}/state.sqlite`,
    "SELECT bundle_json, plugins_json FROM runs WHERE run_id = 'r1'",
  );
  const bundle = JSON.parse(String(rec!.bundle_json));
  assert.deepEqual(bundle, {
    bundle_id: "b1",
    fingerprint: version.split("/").at(-1),
    source_type: "filesystem",
  });
  assert.equal(JSON.parse(String(rec!.plugins_json))[0].sha256, plugin.sha256);

  const other = await runCli(["run", "--flow-yaml", "flows/other.yaml", "--bundle-manifest", "m.yaml"], {
    cwd: d,
    env,
  });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /flow flows\/other\.yaml is not the bundle entry_flow flows\/main\.yaml/);
});

Deno.test("a plugin tampered with in the bundle source is refused at run time, naming both hashes", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  const plugin = await writeTestPlugin("t_echo", d);
  const tampered = await Deno.readFile(plugin.path);
  tampered[tampered.length - 1] ^= 0xff;
  await writeFiles(d, {
    "m.yaml": manifest({ extra: `plugins: [{path: plugins/t_echo.wasm, sha256: ${plugin.sha256}}]` }),
    "src/flows/main.yaml": envFlow(d, "      - {id: echo, type: t_echo}\n"),
    "src/profiles.yaml": "{}\n",
    "src/plugins/t_echo.wasm": tampered,
  });
  const got = new Uint8Array(await crypto.subtle.digest("SHA-256", tampered));
  const gotHex = [...got].map((b) => b.toString(16).padStart(2, "0")).join("");
  const run = await runCli(["run", "--bundle-manifest", "m.yaml"], {
    cwd: d,
    env: { AETHERFLOW_WORK_ROOT: `${d}/wr` },
  });
  assert.equal(run.code, 2, run.stderr);
  assert.ok(run.stderr.includes(`pinned sha256 ${plugin.sha256}, file sha256 ${gotHex}`), run.stderr);
  assert.equal(await Deno.stat(`${d}/state.sqlite`).then(() => true, () => false), false, "nothing ran");
});

Deno.test("enterprise manifests: plugins_dir is ignored, manifest zip_drivers enforced in validate", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  const plugin = await writeTestPlugin("t_echo", d);
  await writeFiles(d, {
    "m.yaml": manifest({
      mode: "enterprise",
      extra: `plugins: [{path: plugins/t_echo.wasm, sha256: ${plugin.sha256}}]`,
    }),
    "src/flows/main.yaml": envFlow(d, "      - {id: echo, type: t_echo}\n"),
    "src/profiles.yaml": "{}\n",
    "src/plugins/t_echo.wasm": await Deno.readFile(plugin.path),
  });
  const env = { AETHERFLOW_WORK_ROOT: `${d}/wr`, AETHERFLOW_PLUGIN_PATHS: `${d}/src/plugins` };
  const v = await runCli(["validate", "--bundle-manifest", "m.yaml", "--json"], { cwd: d, env });
  assert.equal(v.code, 2);
  assert.deepEqual(JSON.parse(v.stdout).errors.map((i: { code: string }) => i.code), [
    "semantic:unknown_step_type",
  ]);

  // The operator's plugin directory (paths.plugins, relative to the manifest) is where enterprise plugins load from.
  await writeFiles(d, {
    "ops/t_echo.wasm": await Deno.readFile(plugin.path),
    "m.yaml": manifest({
      mode: "enterprise",
      extra: `paths: {plugins: [ops]}\nplugins: [{path: ops/t_echo.wasm, sha256: ${plugin.sha256}}]`,
    }),
  });
  const ops = await runCli(["validate", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(ops.code, 0, ops.stdout + ops.stderr);

  const zipFlow = envFlow(d).replace("jobs:", "resources:\n  z: {kind: archive, driver: os}\njobs:");
  await writeFiles(d, { "src/flows/main.yaml": zipFlow });
  const z = await runCli(["validate", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(z.code, 2);
  assert.match(z.stdout, /Enterprise mode requires archive driver in \["pyzipper","zipfile"\]; got "os"/);
});

/** A CA (`ca.pem`, trusted by the child through DENO_CERT) and a leaf for 127.0.0.1 (`cert.pem`, `key.pem`). */
async function makeTlsFiles(d: string): Promise<void> {
  const steps = [
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
      .concat(["-subj", "/CN=af-test-ca", "-keyout", `${d}/ca.key`, "-out", `${d}/ca.pem`]),
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1"]
      .concat(["-keyout", `${d}/key.pem`, "-out", `${d}/leaf.csr`]),
    ["x509", "-req", "-in", `${d}/leaf.csr`, "-CA", `${d}/ca.pem`, "-CAkey", `${d}/ca.key`, "-CAcreateserial"]
      .concat(["-days", "1", "-out", `${d}/cert.pem`, "-extfile", `${d}/ext.cnf`]),
  ];
  await Deno.writeTextFile(`${d}/ext.cnf`, "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  for (const args of steps) {
    const r = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  }
}

Deno.test("archive source over https: sha256 required, checked, cached", async () => {
  await using dir = await tempDir("af-bundle-cli-");
  const d = dir.path;
  await makeTlsFiles(d);
  await writeFiles(d, { "src/flows/main.yaml": envFlow(d), "src/profiles.yaml": "{}\n" });
  assert.equal(
    (await new Deno.Command("tar", { args: ["-czf", `${d}/b.tar.gz`, "-C", d, "src"] }).output()).code,
    0,
  );
  const bytes = await Deno.readFile(`${d}/b.tar.gz`);
  const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  let hits = 0;
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${d}/cert.pem`),
    key: await Deno.readTextFile(`${d}/key.pem`),
    onListen: () => {},
  }, () => {
    hits++;
    return new Response(bytes);
  });
  const url = `https://127.0.0.1:${server.addr.port}/b.tar.gz`;
  const env = { DENO_CERT: `${d}/ca.pem` };
  const args = ["bundle", "sync", "--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`];
  const src = (extra: string) => `{type: archive, url: "${url}", base_path: src${extra}}`;
  await writeFiles(d, { "m.yaml": manifest({ source: src("") }) });
  const noSha = await runCli(args, { cwd: d, env });
  assert.equal(noSha.code, 2);
  assert.match(noSha.stderr, /bundle\.source\.sha256 is required with bundle\.source\.url/);
  await writeFiles(d, { "m.yaml": manifest({ source: src(`, sha256: ${"a".repeat(64)}`) }) });
  const wrong = await runCli(args, { cwd: d, env });
  assert.equal(wrong.code, 1);
  assert.ok(
    wrong.stderr.includes(`Checksum mismatch for archive ${url}: expected=${"a".repeat(64)} got=${sha}`),
    wrong.stderr,
  );
  await writeFiles(d, { "m.yaml": manifest({ source: src(`, sha256: ${sha}`) }) });
  const ok = await runCli([...args, "--json"], { cwd: d, env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).fetched_files, ["flows/main.yaml", "profiles.yaml"]);
  const again = await runCli(args, { cwd: d, env });
  assert.match(again.stdout, /^UNCHANGED/);
  assert.equal(hits, 2, "the verified archive is served from cache/<sha256> afterwards");
});
