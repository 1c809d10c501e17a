// One JSON style (docs/cli.md "JSON output"): every `--json` document and JSON log line validates against its
// published JSON Schema (docs/json-schemas/), starts with `ok`, lists `errors` when not ok, and pairs every
// `<name>_ms` with an ISO `<name>` of the same instant — so a script needs no special case per command.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Validator } from "@cfworker/json-schema";
import { renderSchemaFiles, SCHEMA_DIR } from "../scripts/json_schemas.ts";
import { writePluginLock } from "../plugins/lock/mod.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";
import { StateStore } from "../engine/state/mod.ts";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

Deno.test("the published JSON Schemas are up to date (deno task json-schemas)", async () => {
  for (const [file, text] of Object.entries(renderSchemaFiles())) {
    assert.equal(await Deno.readTextFile(join(SCHEMA_DIR, file)), text, `docs/json-schemas/${file} is stale`);
  }
});

const _validators = new Map<string, Validator>();
async function validator(name: string): Promise<Validator> {
  let v = _validators.get(name);
  if (!v) {
    const schema = JSON.parse(await Deno.readTextFile(join(SCHEMA_DIR, `${name}.schema.json`)));
    v = new Validator(schema, "2020-12", false);
    _validators.set(name, v);
  }
  return v;
}

/** The checks a generic script relies on, whatever the command. */
function checkConvention(doc: Record<string, unknown>, what: string, stream = false): void {
  if (!stream) {
    assert.equal(Object.keys(doc)[0], "ok", `${what}: ok first`);
    assert.equal(typeof doc.ok, "boolean", what);
    if (doc.ok === false) assert.ok(Array.isArray(doc.errors) && doc.errors.length > 0, `${what}: errors`);
  }
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    for (const [k, val] of Object.entries(o)) {
      const base = k === "ts_ms" ? "ts" : k.endsWith("_ms") ? k.slice(0, -3) : undefined;
      if (base !== undefined && base in o && typeof val === "number") {
        assert.match(
          String(o[base]),
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
          `${what}: ${base} is ISO with ms`,
        );
        assert.equal(Date.parse(String(o[base])), val, `${what}: ${base} and ${k} are one instant`);
      }
      walk(val);
    }
  };
  walk(doc);
}

async function expectSchema(name: string, text: string, what: string): Promise<Record<string, unknown>> {
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 1, `${what}: one line`);
  const doc = JSON.parse(lines[0]!);
  const res = (await validator(name)).validate(doc);
  assert.ok(
    res.valid,
    `${what} does not match ${name}.schema.json: ${JSON.stringify(res.errors.slice(0, 5))}\n${text}`,
  );
  checkConvention(doc, what);
  return doc;
}

async function expectLogLines(text: string, what: string): Promise<number> {
  const v = await validator("log-line");
  const lines = text.trim().split("\n").filter((l) => l !== "");
  for (const line of lines) {
    const rec = JSON.parse(line);
    const res = v.validate(rec);
    assert.ok(res.valid, `${what}: ${line}\n${JSON.stringify(res.errors.slice(0, 3))}`);
    checkConvention(rec, what, true);
  }
  return lines.length;
}

Deno.test("every command's --json output validates against its published schema", async (t) => {
  await using dir = await tempDir();
  const d = dir.path;
  const plugin = await writeTestPlugin("t_noop", d);
  await writePluginLock({
    file: join(d, "aetherflow.plugins.yaml"),
    plugins: [{ path: "t_noop.wasm", sha256: plugin.sha256 }],
  });
  const flow = await writeDemoFlow(
    d,
    `
  - id: a
    steps:
      - {id: s1, type: check_items, inputs: {items: [1, 2]}}
      - {id: p, type: t_noop}
  - id: b
    depends_on: [a]
    steps:
      - {id: s, type: external.process, inputs: {command: [sh, -c, "exit {{env.RC:0}}"]}}
`,
    {
      resources:
        "  ok: {kind: echo, driver: echo, config: {}}\n  down: {kind: echo, driver: echo, config: {host: 127.0.0.1, port: 1}}",
    },
  );
  const db = join(d, "state.sqlite");
  const cases: [string, string[], string, number][] = [
    ["validate", ["validate", flow, "--json"], "validate", 0],
    ["doctor", ["doctor", flow, "--json"], "doctor", 0],
    ["doctor --connect", ["doctor", flow, "--connect", "--json"], "doctor", 1],
    ["explain", ["explain", flow, "--json"], "explain", 0],
    ["settings", ["settings", "--json"], "settings", 0],
    ["plugin inspect", ["plugin", "inspect", plugin.path, "--json"], "plugin-inspect", 0],
    ["plugin verify", ["plugin", "verify", flow, "--json"], "plugin-verify", 0],
  ];
  for (const [name, args, schema, code] of cases) {
    await t.step(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, code, r.stderr);
      await expectSchema(schema, r.stdout, name);
    });
  }
  await t.step("run (JSON log lines) and runs logs --json", async () => {
    for (const [id, rc] of [["r1", "0"], ["r2", "3"]]) {
      const r = await runCli(["run", flow, "--run-id", id], {
        env: { AETHERFLOW_LOG_FORMAT: "json", RC: rc },
      });
      assert.equal(r.code, rc === "0" ? 0 : 1, r.stderr);
      assert.ok(await expectLogLines(r.stderr, `run ${id}`) > 5);
    }
    const logs = await runCli(["runs", "logs", "r2", flow, "--json"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.ok(await expectLogLines(logs.stdout, "runs logs") > 5);
  });
  const more: [string, string[], string, number][] = [
    ["runs list", ["runs", "list", flow, "--json"], "runs-list", 0],
    ["runs show", ["runs", "show", "r2", flow, "--json"], "runs-show", 0],
    [
      "runs show --html",
      ["runs", "show", "r2", flow, "--json", "--html", join(d, "r2.html")],
      "runs-show",
      0,
    ],
    ["runs diff", ["runs", "diff", "r2", flow, "--json"], "runs-diff", 0],
    [
      "runs diff --against-current",
      ["runs", "diff", "r1", "--against-current", flow, "--json"],
      "runs-diff",
      0,
    ],
    [
      "runs prune --dry-run",
      ["runs", "prune", flow, "--dry-run", "--older-than", "0s", "--json"],
      "runs-prune",
      0,
    ],
    ["locks list", ["locks", "list", flow, "--json"], "locks-list", 0],
    ["locks release", ["locks", "release", "k1", flow, "--json"], "locks-release", 0],
    ["init", ["init", join(d, "proj"), "--json"], "init", 0],
    ["error: unknown run id", ["runs", "show", "nope", flow, "--json"], "error", 2],
    ["error: usage", ["runs", "list", "--nope", "--json"], "error", 2],
    ["error: invalid flow", ["runs", "list", join(d, "bad.yaml"), "--json"], "error", 2],
    ["error: corrupt database", ["locks", "list", "--db", join(d, "corrupt.db"), "--json"], "error", 1],
    ["validate (invalid)", ["validate", join(d, "bad.yaml"), "--json"], "validate", 2],
  ];
  {
    using store = StateStore.open(db, { pid: 999_999_999 });
    assert.equal(await store.acquireLock("k1", { owner: "r9" }), true);
  }
  await Deno.writeTextFile(join(d, "bad.yaml"), "flow: {id: x}\njobs: []\nnotes: 1\n");
  await Deno.writeFile(join(d, "corrupt.db"), new Uint8Array(4096).fill(7));
  for (const [name, args, schema, code] of more) {
    await t.step(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, code, r.stdout + r.stderr);
      await expectSchema(schema, r.stdout, name);
    });
  }
  await t.step("schedule validate / next", async () => {
    const sched = join(d, "scheduler.yaml");
    await Deno.writeTextFile(
      sched,
      `version: 1\ntimezone: Europe/Berlin\nitems:\n  - {id: nightly, cron: "30 2 * * *", flow_yaml: ${flow}}\n`,
    );
    const v = await runCli(["schedule", "validate", sched, "--json"]);
    assert.equal(v.code, 0, v.stderr);
    await expectSchema("schedule-validate", v.stdout, "schedule validate");
    const n = await runCli(["schedule", "next", sched, "--count", "2", "--json"]);
    assert.equal(n.code, 0, n.stderr);
    await expectSchema("schedule-next", n.stdout, "schedule next");
  });
  await t.step("bundle status / sync (filesystem and git), and a failed sync", async () => {
    const git = async (cwd: string, ...args: string[]) => {
      const out = await new Deno.Command("git", {
        args: ["-c", "user.email=t@example.invalid", "-c", "user.name=t", ...args],
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim();
    };
    const b = join(d, "bundles");
    const repo = join(b, "repo");
    await Deno.mkdir(join(b, "src", "flows"), { recursive: true });
    await Deno.mkdir(join(repo, "flows"), { recursive: true });
    for (const root of [join(b, "src"), repo]) {
      await Deno.writeTextFile(join(root, "flows", "main.yaml"), "flow: {id: main}\njobs: []\n");
      await Deno.writeTextFile(join(root, "profiles.yaml"), "{}\n");
    }
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "one");
    const commit = await git(repo, "rev-parse", "HEAD");
    const manifest = (id: string, source: string) =>
      `bundle:\n  id: ${id}\n  source: ${source}\n  layout: {profiles_file: profiles.yaml}\n` +
      "  entry_flow: flows/main.yaml\n";
    await Deno.writeTextFile(join(b, "fs.yaml"), manifest("fs", "{type: filesystem, base_path: src}"));
    await Deno.writeTextFile(join(b, "git.yaml"), manifest("g", `{type: git, url: "${repo}", ref: main}`));
    await Deno.writeTextFile(
      join(b, "gone.yaml"),
      manifest("gone", "{type: filesystem, base_path: nowhere}"),
    );
    const bundleCli = (cmd: string, m: string) =>
      runCli(["bundle", cmd, "--bundle-manifest", join(b, m), "--work-root", join(b, "wr"), "--json"]);

    const before = await bundleCli("status", "fs.yaml");
    assert.equal(before.code, 0, before.stderr);
    const s0 = await expectSchema("bundle-status", before.stdout, "bundle status (never synced)");
    assert.deepEqual([s0.fingerprint, s0.has_active], [null, false]);
    const fs = await bundleCli("sync", "fs.yaml");
    assert.equal(fs.code, 0, fs.stderr);
    const j = await expectSchema("bundle-sync", fs.stdout, "bundle sync (filesystem)");
    assert.equal(j.changed, true);
    assert.equal("commit" in j, false, "commit only for git sources");
    const after = await bundleCli("status", "fs.yaml");
    assert.equal(after.code, 0, after.stderr);
    const s1 = await expectSchema("bundle-status", after.stdout, "bundle status (synced)");
    assert.deepEqual([s1.fingerprint, s1.has_active], [j.fingerprint, true]);
    const g = await bundleCli("sync", "git.yaml");
    assert.equal(g.code, 0, g.stderr);
    assert.equal((await expectSchema("bundle-sync", g.stdout, "bundle sync (git)")).commit, commit);
    const failed = await bundleCli("sync", "gone.yaml");
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    await expectSchema("error", failed.stdout, "bundle sync (source missing)");
  });
});
