// The PostgreSQL state URL from a profile (`flow.state.profile`, docs/state.md "PostgreSQL", docs/fleet.md
// "Host configuration"), against the harness's PostgreSQL through the CLI: run and the history commands find the
// database through the profile; the URL's password is masked everywhere; `state.url` wins over the profile;
// an unknown profile or one without `config.url` is refused before anything runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();

function flowText(dir: string, state: string): string {
  return [
    "flow:",
    "  id: pgprofile",
    `  workspace: {root: ${dir}/ws, cleanup_policy: never}`,
    `  state: ${state}`,
    "jobs:",
    "  - id: load",
    "    steps:",
    "      - {id: s, type: check_items, inputs: {items: [1, 2]}}",
    "",
  ].join("\n");
}

Deno.test({
  name:
    "state.profile: run, runs list/show and locks list reach PostgreSQL through a profile; password masked",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const d = dir.path;
  const info = pg.get();
  // The password comes from an env var whose name does not look secret: only the profile's URL makes it one.
  const profiles = join(d, "profiles.yaml");
  await Deno.writeTextFile(
    profiles,
    [
      "state_db:",
      `  config: {url: "postgres://{{env.SDB_USER}}:{{env.SDB_WORD}}@${info.host}:${info.port}/${db.name}"}`,
      "broken_db:",
      `  config: {url: "postgres://{{env.SDB_USER}}:wrong-{{env.SDB_WORD}}@${info.host}:${info.port}/${db.name}"}`,
      "no_url:",
      "  config: {host: db.example}",
      "",
    ].join("\n"),
  );
  const env = {
    AETHERFLOW_PROFILES_FILE: profiles,
    AETHERFLOW_STATE_ROOT: join(d, "state-root"),
    SDB_USER: info.user,
    SDB_WORD: info.password,
  };
  const secretForms = [info.password, encodeURIComponent(info.password)];
  const assertMasked = (what: string, text: string) => {
    for (const s of secretForms) {
      assert.ok(!text.includes(s), `${what}: password printed\n${text.slice(0, 600)}`);
    }
  };
  const flow = join(d, "f.yaml");
  await Deno.writeTextFile(flow, flowText(d, "{backend: postgres, profile: state_db}"));

  const v = await runCli(["validate", flow], { env });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const run = await runCli(["run", flow, "--run-id", "p1"], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(
    run.stderr.includes(`state=postgres://${info.user}@${info.host}:${info.port}/${db.name}`),
    run.stderr,
  );
  assertMasked("run", run.stdout + run.stderr);

  // The rows are in that database (read directly, not through aetherflow).
  const { default: postgres } = await import("postgres");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT run_id, status FROM runs`;
    assert.deepEqual(rows.map((r) => [r.run_id, r.status]), [["p1", "SUCCESS"]]);
    const dump = JSON.stringify(await sql`SELECT * FROM runs`);
    for (const s of secretForms) assert.ok(!dump.includes(s), "password in the run record");
  } finally {
    await sql.end();
  }

  for (const args of [["runs", "list", flow, "--json"], ["runs", "show", "p1", flow, "--json"]]) {
    const r = await runCli(args, { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assertMasked(args.join(" "), r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.state, `postgres://${info.user}@${info.host}:${info.port}/${db.name}`);
    if (args[1] === "list") assert.deepEqual(doc.runs.map((x: { run_id: string }) => x.run_id), ["p1"]);
    else assert.equal(doc.run.status, "SUCCESS");
  }
  const locks = await runCli(["locks", "list", flow, "--json"], { env });
  assert.equal(locks.code, 0, locks.stdout + locks.stderr);

  // A wrong password in the profile: the run fails to open its state (exit 1); neither password is printed.
  await Deno.writeTextFile(flow, flowText(d, "{backend: postgres, profile: broken_db}"));
  const bad = await runCli(["run", flow, "--run-id", "p2"], { env });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /password authentication failed/);
  assertMasked("wrong password", bad.stdout + bad.stderr);

  // state.url wins over the profile (as a resource's own config wins over its profile's).
  await Deno.writeTextFile(
    flow,
    flowText(d, '{backend: postgres, profile: broken_db, url: "{{env.STATE_DB_URL}}"}'),
  );
  const own = await runCli(["run", flow, "--run-id", "p3"], { env: { ...env, STATE_DB_URL: db.url } });
  assert.equal(own.code, 0, own.stderr);
  assertMasked("state.url", own.stdout + own.stderr);
});

Deno.test("state.profile: an unknown profile or one without config.url is refused before anything runs", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const profiles = join(d, "profiles.yaml");
  await Deno.writeTextFile(profiles, "no_url:\n  config: {host: db.example}\n");
  const env = { AETHERFLOW_PROFILES_FILE: profiles };
  const flow = join(d, "f.yaml");

  await Deno.writeTextFile(flow, flowText(d, "{backend: postgres, profile: nope}"));
  const v = await runCli(["validate", flow, "--json"], { env });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.deepEqual(
    JSON.parse(v.stdout).warnings.map((w: { code: string; loc: string }) => [w.code, w.loc]),
    [["semantic:unknown_profile", "flow.state.profile"]],
  );
  const unknown = await runCli(["run", flow], { env });
  assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
  assert.match(unknown.stderr, /Unknown profile 'nope' for flow\.state\.profile/);
  assert.doesNotMatch(unknown.stderr, /^\s+at /m, "no stack trace");
  const listed = await runCli(["runs", "list", flow], { env });
  assert.equal(listed.code, 2, listed.stdout + listed.stderr);
  assert.match(listed.stderr, /Unknown profile 'nope' for flow\.state\.profile/);

  await Deno.writeTextFile(flow, flowText(d, "{backend: postgres, profile: no_url}"));
  const noUrl = await runCli(["run", flow], { env });
  assert.equal(noUrl.code, 2, noUrl.stdout + noUrl.stderr);
  assert.match(noUrl.stderr, /Profile 'no_url' \(flow\.state\.profile\) has no config\.url/);
  assert.equal(await Deno.stat(join(d, "ws")).then(() => true, () => false), false, "nothing ran");
});
