// `doctor` and `explain` with `--bundle-manifest`, the `local` source alias, and the source revision a run from
// a git-sourced bundle records (docs/bundles.md "Running a bundle", "Sources"; docs/cli.md).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { runCli, stateRows, tempDir } from "./_helpers.ts";

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, rel)), { recursive: true });
    await Deno.writeTextFile(join(root, rel), content);
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.invalid", "-c", "user.name=t", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

function manifest(source: string, extra = ""): string {
  return [
    "bundle:",
    "  id: b1",
    `  source: ${source}`,
    "  layout: {flows_dir: flows, profiles_file: profiles.yaml}",
    "  entry_flow: flows/main.yaml",
    extra,
  ].join("\n");
}

/** An entry flow with one profiled resource (the bundle's profiles file) and one step. */
function entryFlow(dir: string): string {
  return `flow:
  id: main
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  warehouse: {kind: echo, driver: echo, profile: wh_main}
jobs:
  - id: j
    steps:
      - {id: s, type: external.process, inputs: {command: [sh, -c, "echo ran"]}}
`;
}

const PROFILES = `wh_main:
  config: {user: "{{env.WH_USER}}", password: "{{env.WH_PASS}}"}
  decode: {config: {password: true}}
`;

Deno.test("doctor --bundle-manifest checks the synced entry flow with the bundle's env files and profiles", async () => {
  await using dir = await tempDir("af-bundle-doctor-");
  const d = dir.path;
  await writeFiles(d, {
    "m.yaml": manifest("{type: filesystem, base_path: src}", 'env_files: ["env/common.env"]'),
    "src/flows/main.yaml": entryFlow(d),
    "src/profiles.yaml": PROFILES,
    "src/env/common.env": "WH_USER=loader\n",
  });
  const env = { AETHERFLOW_WORK_ROOT: `${d}/wr` };
  // WH_PASS is missing: doctor names the profile key of the bundle's profiles file, exit 2.
  const missing = await runCli(["doctor", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(missing.code, 2, missing.stdout + missing.stderr);
  const version = Deno.realPathSync(`${d}/wr/bundles/b1/active`);
  assert.equal(missing.stdout.split("\n")[0], `FAIL: ${version}/flows/main.yaml`);
  assert.ok(missing.stdout.includes("- profiles.wh_main.config.password: needs env WH_PASS"), missing.stdout);
  // WH_USER comes from the bundle's env file, so it is not reported.
  assert.ok(!missing.stdout.includes("WH_USER"), missing.stdout);

  const ok = await runCli(["doctor", "--bundle-manifest", "m.yaml", "--json"], {
    cwd: d,
    env: { ...env, WH_PASS: "s3cret-wh" },
  });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const doc = JSON.parse(ok.stdout);
  assert.deepEqual([doc.ok, doc.flow_yaml, doc.missing_env], [true, `${version}/flows/main.yaml`, []]);
  assert.ok(!ok.stdout.includes("s3cret-wh"));
  assert.equal(stateExists(d), false, "doctor runs nothing");

  // A flow that is not the entry flow is refused, as for run/validate.
  await writeFiles(d, { "src/flows/other.yaml": entryFlow(d) });
  const other = await runCli(["doctor", "flows/other.yaml", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /flow flows\/other\.yaml is not the bundle entry_flow flows\/main\.yaml/);
});

function stateExists(d: string): boolean {
  try {
    Deno.statSync(`${d}/state.sqlite`);
    return true;
  } catch {
    return false;
  }
}

Deno.test("explain --bundle-manifest shows the resources of the synced entry flow with the bundle's profiles", async () => {
  await using dir = await tempDir("af-bundle-explain-");
  const d = dir.path;
  await writeFiles(d, {
    "m.yaml": manifest("{type: filesystem, base_path: src}"),
    "src/flows/main.yaml": entryFlow(d),
    "src/profiles.yaml": PROFILES,
  });
  const env = { AETHERFLOW_WORK_ROOT: `${d}/wr` };
  const text = await runCli(["explain", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(text.code, 0, text.stdout + text.stderr);
  const version = Deno.realPathSync(`${d}/wr/bundles/b1/active`);
  assert.equal(
    text.stdout,
    [
      `Flow: ${version}/flows/main.yaml`,
      "",
      "Resource: warehouse (echo/echo) profile=wh_main",
      "  decode:",
      '    {"config":{"password":true}}',
      "",
    ].join("\n"),
  );
  const json = await runCli(["explain", "--bundle-manifest", "m.yaml", "--json"], { cwd: d, env });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).resources, {
    warehouse: { kind: "echo", driver: "echo", profile: "wh_main", decode: { config: { password: true } } },
  });

  // The source is gone: the sync fails (exit 1, the reason on stderr), unless the active bundle may be used.
  await Deno.remove(`${d}/src`, { recursive: true });
  const gone = await runCli(["explain", "--bundle-manifest", "m.yaml"], { cwd: d, env });
  assert.equal(gone.code, 1, gone.stdout + gone.stderr);
  assert.match(gone.stderr, /^Error: /m);
  assert.doesNotMatch(gone.stderr, /^\s+at /m, "no stack trace");
  const stale = await runCli(["explain", "--bundle-manifest", "m.yaml", "--allow-stale-bundle"], {
    cwd: d,
    env,
  });
  assert.equal(stale.code, 0, stale.stdout + stale.stderr);
  assert.match(stale.stdout, /^Resource: warehouse \(echo\/echo\) profile=wh_main$/m);
  assert.match(stale.stderr, /using stale active bundle_id=b1/);
});

Deno.test("the local source alias syncs and runs like filesystem (recorded as filesystem)", async () => {
  await using dir = await tempDir("af-bundle-local-");
  const d = dir.path;
  await writeFiles(d, {
    "m.yaml": manifest("{type: local, base_path: src}"),
    "src/flows/main.yaml": entryFlow(d),
    "src/profiles.yaml": PROFILES,
  });
  const args = ["--bundle-manifest", "m.yaml", "--work-root", `${d}/wr`];
  const sync = await runCli(["bundle", "sync", ...args, "--json"], { cwd: d });
  assert.equal(sync.code, 0, sync.stdout + sync.stderr);
  const s = JSON.parse(sync.stdout);
  assert.deepEqual([s.changed, s.fetched_files], [true, ["flows/main.yaml", "profiles.yaml"]]);
  assert.equal(await Deno.readTextFile(`${s.local_root}/flows/main.yaml`), entryFlow(d));
  const again = await runCli(["bundle", "sync", ...args, "--json"], { cwd: d });
  assert.deepEqual([JSON.parse(again.stdout).changed, JSON.parse(again.stdout).fetched_files], [false, []]);

  const run = await runCli(["run", "--bundle-manifest", "m.yaml", "--run-id", "r1"], {
    cwd: d,
    env: { AETHERFLOW_WORK_ROOT: `${d}/wr`, WH_USER: "u", WH_PASS: "p" },
  });
  assert.equal(run.code, 0, run.stderr);
  const [rec] = stateRows(`${d}/state.sqlite`, "SELECT status, bundle_json FROM runs WHERE run_id = 'r1'");
  assert.equal(rec!.status, "SUCCESS");
  assert.deepEqual(JSON.parse(String(rec!.bundle_json)), {
    bundle_id: "b1",
    fingerprint: s.fingerprint,
    source_type: "filesystem",
  });
});

Deno.test("a run from a git-sourced bundle records the resolved commit; a new commit is a new revision", async () => {
  await using dir = await tempDir("af-bundle-git-run-");
  const d = dir.path;
  const repo = join(d, "repo");
  await writeFiles(repo, { "flows/main.yaml": entryFlow(d), "profiles.yaml": PROFILES });
  await git(repo, "init", "-q", "-b", "main");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "one");
  const c1 = await git(repo, "rev-parse", "HEAD");
  await writeFiles(d, { "m.yaml": manifest(`{type: git, url: "${repo}", ref: main}`) });
  const env = { AETHERFLOW_WORK_ROOT: `${d}/wr`, WH_USER: "u", WH_PASS: "p" };
  const run = async (runId: string) => {
    const r = await runCli(["run", "--bundle-manifest", "m.yaml", "--run-id", runId], { cwd: d, env });
    assert.equal(r.code, 0, r.stderr);
    const [rec] = stateRows(`${d}/state.sqlite`, `SELECT bundle_json FROM runs WHERE run_id = '${runId}'`);
    return JSON.parse(String(rec!.bundle_json));
  };
  const b1 = await run("r1");
  assert.deepEqual(b1, {
    bundle_id: "b1",
    fingerprint: Deno.realPathSync(`${d}/wr/bundles/b1/active`).split("/").at(-1),
    source_type: "git",
    commit: c1,
  });

  await writeFiles(repo, { "flows/main.yaml": entryFlow(d).replace("echo ran", "echo ran again") });
  await git(repo, "commit", "-q", "-am", "two");
  const c2 = await git(repo, "rev-parse", "HEAD");
  assert.notEqual(c2, c1);
  const b2 = await run("r2");
  assert.equal(b2.commit, c2);
  assert.notEqual(b2.fingerprint, b1.fingerprint);

  // `runs show` reports it, and `runs diff` names the bundle change between the two runs.
  const show = await runCli(["runs", "show", "r2", "--db", `${d}/state.sqlite`, "--json"], { cwd: d });
  assert.equal(show.code, 0, show.stderr);
  assert.equal(JSON.parse(show.stdout).run.bundle.commit, c2);
  const diff = await runCli(
    ["runs", "diff", "r2", "--against", "r1", "--db", `${d}/state.sqlite`, "--json"],
    {
      cwd: d,
    },
  );
  assert.equal(diff.code, 0, diff.stderr);
  const bundleChanges = JSON.parse(diff.stdout).changes.filter((c: { kind: string }) => c.kind === "bundle");
  assert.ok(
    bundleChanges.some((c: { before: unknown; after: unknown }) =>
      JSON.stringify(c.before).includes(c1) && JSON.stringify(c.after).includes(c2)
    ),
    JSON.stringify(bundleChanges),
  );
});
