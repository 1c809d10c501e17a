// `flow.state.backend: postgres` through the real CLI against the harness's PostgreSQL (docs/state.md
// "Backends"): run, resume with the same --run-id, with_lock, runs list/show, locks list; the URL from the flow,
// from the setting state_url, or --db; the database password never printed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();

function _flow(dir: string, stateLine: string): string {
  const marker = join(dir, "ready");
  return [
    "flow:",
    "  id: pgdemo",
    `  workspace: {root: ${dir}/ws, cleanup_policy: never}`,
    `  state: ${stateLine}`,
    "jobs:",
    "  - id: load",
    "    steps:",
    "      - id: guarded",
    "        type: with_lock",
    "        inputs:",
    "          lock_key: warehouse",
    "          ttl_seconds: 60",
    "          step: {type: check_items, inputs: {items: [1, 2, 3]}}",
    "      - id: gate",
    "        type: external.process",
    `        inputs: {command: [test, -f, ${marker}]}`,
    "",
  ].join("\n");
}

/** Every secret form of the URL's password that must never be printed. */
function _assertNoPassword(password: string, ...texts: string[]): void {
  for (const t of texts) {
    assert.ok(!t.includes(password), `password printed: ${t.slice(0, 400)}`);
    assert.ok(!t.includes(encodeURIComponent(password)), `encoded password printed: ${t.slice(0, 400)}`);
  }
}

Deno.test({
  name: "state.backend postgres: run, resume by run id, with_lock, runs list/show and locks list via the CLI",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const password = pg.get().password;
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(flow, _flow(dir.path, '{backend: postgres, url: "{{env.STATE_DB_URL}}"}'));
  const env = { STATE_DB_URL: db.url, AETHERFLOW_STATE_ROOT: join(dir.path, "state-root") };

  const first = await runCli(["run", flow, "--run-id", "nightly-1"], { env });
  assert.equal(first.code, 1, first.stderr);
  assert.match(first.stderr, /step_end .*step_id=guarded step_type=with_lock status=SUCCESS/);

  await Deno.writeTextFile(join(dir.path, "ready"), "");
  const second = await runCli(["run", flow, "--run-id", "nightly-1"], { env });
  assert.equal(second.code, 0, second.stderr);
  assert.ok(second.stderr.includes("Step skip (resume) step_id=guarded prev=SUCCESS"), second.stderr);
  _assertNoPassword(password, first.stdout, first.stderr, second.stdout, second.stderr);

  const listed = await runCli(["runs", "list", flow, "--json"], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const list = JSON.parse(listed.stdout);
  assert.equal(list.runs.length, 1);
  assert.equal(list.runs[0].run_id, "nightly-1");
  assert.equal(list.runs[0].status, "SUCCESS");
  assert.equal(list.runs[0].invocations, 2);
  assert.ok(String(list.state).startsWith("postgres://"), list.state);
  _assertNoPassword(password, listed.stdout, listed.stderr);

  const shown = await runCli(["runs", "show", "nightly-1", "--db", db.url, "--json"], { env });
  assert.equal(shown.code, 0, shown.stderr);
  const view = JSON.parse(shown.stdout);
  assert.equal(view.run.status, "SUCCESS");
  const steps = view.jobs[0].steps.map((s: Record<string, unknown>) => [s.step_id, s.status]);
  assert.deepEqual(steps, [["guarded", "SUCCESS"], ["gate", "SUCCESS"]]);
  _assertNoPassword(password, shown.stdout, shown.stderr);

  const text = await runCli(["runs", "show", "nightly-1", flow], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /guarded/);

  // with_lock released its lock and the run its lease: nothing is held.
  const locks = await runCli(["locks", "list", "--db", `postgres:${db.url}`, "--json"]);
  assert.equal(locks.code, 0, locks.stderr);
  assert.deepEqual(JSON.parse(locks.stdout).locks, []);

  // The run log of a PostgreSQL run lives under this host's state_root.
  const logs = await runCli(["runs", "logs", "nightly-1", flow], { env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /Step skip \(resume\) step_id=guarded/);
  _assertNoPassword(password, logs.stdout, logs.stderr);
});

Deno.test({
  name:
    "state.backend postgres takes its URL from the setting state_url; none at all is exit 2 with the location",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(flow, _flow(dir.path, "{backend: postgres}"));
  await Deno.writeTextFile(join(dir.path, "ready"), "");
  const root = join(dir.path, "state-root");

  const missing = await runCli(["run", flow], { env: { AETHERFLOW_STATE_ROOT: root } });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /flow\.state\.backend is postgres but no database URL is set/);

  const env = { AETHERFLOW_STATE_URL: db.url, AETHERFLOW_STATE_ROOT: root };
  const ok = await runCli(["run", flow, "--run-id", "s1"], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const listed = await runCli(["runs", "list", flow, "--json"], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).runs.map((r: Record<string, unknown>) => r.run_id), ["s1"]);

  // `settings` shows state_url without its password.
  const settings = await runCli(["settings", "--json"], { env });
  assert.equal(settings.code, 0, settings.stderr);
  _assertNoPassword(pg.get().password, ok.stderr, listed.stdout, settings.stdout, settings.stderr);
});

Deno.test({
  name:
    "state.backend postgres: side-effect-free steps are recorded in one transaction, before the next step starts",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const marker = join(dir.path, "survive");
  const flow = join(dir.path, "f.yaml");
  // `boom` kills the runner (its parent) with SIGKILL on the first invocation: whatever it could observe of the
  // steps before it must already be durable.
  await Deno.writeTextFile(
    flow,
    [
      "flow:",
      "  id: batched",
      `  workspace: {root: ${dir.path}/ws, cleanup_policy: never}`,
      '  state: {backend: postgres, url: "{{env.STATE_DB_URL}}"}',
      "jobs:",
      "  - id: j",
      "    steps:",
      "      - {id: a, type: check_items, inputs: {items: [1]}}",
      "      - {id: b, type: check_items, inputs: {items: [1, 2]}}",
      "      - {id: c, type: check_items, inputs: {items: []}}",
      "      - id: boom",
      "        type: external.process",
      `        inputs: {command: [sh, -c, 'test -f ${marker} || kill -9 $PPID']}`,
      "      - {id: d, type: check_items, inputs: {items: ['{{steps.b.count}}']}}",
      "",
    ].join("\n"),
  );
  const env = { STATE_DB_URL: db.url, AETHERFLOW_STATE_ROOT: join(dir.path, "state-root") };
  const killed = await runCli(["run", flow, "--run-id", "k1"], { env });
  assert.notEqual(killed.code, 0, killed.stderr);
  // Reported once recorded, in order, and all three before `boom` started.
  const ends = [...killed.stderr.matchAll(/step_(start|end) .*?step_id=(\w+)/g)].map((m) =>
    `${m[1]} ${m[2]}`
  );
  assert.deepEqual(ends, ["start a", "end a", "start b", "end b", "start c", "end c", "start boom"]);

  const { default: postgres } = await import("postgres");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const rows = async () =>
      (await sql.unsafe("SELECT step_id, status, xmin::text AS tx FROM step_runs ORDER BY seq")).map((r) => ({
        ...r,
      }));
    const first = await rows();
    assert.deepEqual(first.map((r) => [r.step_id, r.status]), [["a", "SUCCESS"], ["b", "SUCCESS"], [
      "c",
      "SKIPPED",
    ]]);
    // One transaction (one round trip) for the three rows.
    assert.equal(new Set(first.map((r) => r.tx)).size, 1, JSON.stringify(first));

    await Deno.writeTextFile(marker, "");
    const resumed = await runCli(["run", flow, "--run-id", "k1"], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(resumed.stderr.includes("Step skip (resume) step_id=c prev=SKIPPED"), resumed.stderr);
    const second = await rows();
    assert.deepEqual(second.map((r) => [r.step_id, r.status]), [
      ["a", "SUCCESS"],
      ["b", "SUCCESS"],
      ["c", "SKIPPED"],
      ["boom", "SUCCESS"],
      ["d", "SUCCESS"],
    ]);
    assert.equal(second[2]!.tx, first[2]!.tx);
  } finally {
    await sql.end();
  }
});

Deno.test({
  name: "state.backend postgres: an unreachable database is exit 1 naming the URL without its password",
  ignore: pg.ignore,
}, async () => {
  await using dir = await tempDir();
  const flow = join(dir.path, "f.yaml");
  await Deno.writeTextFile(flow, _flow(dir.path, '{backend: postgres, url: "{{env.STATE_DB_URL}}"}'));
  // A port nobody listens on: bind one, note it, close it.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const url = `postgres://app:s3cr3t-Pw@127.0.0.1:${port}/app`;
  const r = await runCli(["run", flow], {
    env: { STATE_DB_URL: url, AETHERFLOW_STATE_ROOT: join(dir.path, "root") },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`postgres://app@127\\.0\\.0\\.1:${port}/app`));
  _assertNoPassword("s3cr3t-Pw", r.stdout, r.stderr);
});

Deno.test({
  name:
    "state.backend postgres: a resume after the flow changed warns like SQLite and records the new sha256",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir();
  const flow = join(dir.path, "f.yaml");
  const v1 = _flow(dir.path, '{backend: postgres, url: "{{env.STATE_DB_URL}}"}');
  await Deno.writeTextFile(flow, v1);
  const env = { STATE_DB_URL: db.url, AETHERFLOW_STATE_ROOT: join(dir.path, "state-root") };
  assert.equal((await runCli(["run", flow, "--run-id", "r1"], { env })).code, 1);

  // The finished step `guarded` changes; the failing `gate` is fixed by creating its marker.
  const v2 = v1.replace("items: [1, 2, 3]", "items: [1, 2]");
  assert.notEqual(v2, v1);
  await Deno.writeTextFile(flow, v2);
  await Deno.writeTextFile(join(dir.path, "ready"), "");
  const resumed = await runCli(["run", flow, "--run-id", "r1"], { env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const sha = async (text: string) =>
    Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  const [old, now] = [await sha(v1), await sha(v2)];
  assert.match(
    resumed.stderr,
    new RegExp(
      `WARNING aetherflow\\.flow\\.pgdemo - Flow changed since run r1 was last started \\(flow_sha256 ` +
        `${old.slice(0, 12)} -> ${
          now.slice(0, 12)
        }\\): finished steps reused with their old outputs although ` +
        `their definition changed: load\\.guarded$`,
      "m",
    ),
  );
  const shown = await runCli(["runs", "show", "r1", flow, "--json"], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).run.flow_sha256, now);

  const again = await runCli(["run", flow, "--run-id", "r1"], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!again.stderr.includes("Flow changed since run"), again.stderr);
});
