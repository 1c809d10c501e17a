// Bundle source `db`: the files of a bundle as rows of `assets(bundle, path, sha256, data, updated_at, size)`
// read through the built-in db connectors — a real SQLite file (db:sqlite3) and the harness's PostgreSQL
// (bytea) — binary intact, a listed sha256 verified, a change picked up, custom list/fetch SQL
// (docs/bundles.md "Connector sources").
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { bundleFixture } from "../engine/bundles/_test_kit.ts";
import { runCli } from "./_helpers.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();
const WASM = Uint8Array.from({ length: 300 }, (_, i) => (i * 13) % 256);
const MAIN = "flow: {id: main}\njobs: []\n";

async function _sha(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function manifest(source: string, resource: string): string {
  return `bundle:
  id: remote
  source: ${source}
  layout: {flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}
  entry_flow: flows/main.yaml
resources:
  assets_db: ${resource}
`;
}

Deno.test("bundle source db (SQLite): rows of assets become the bundle; sha256 verified; changes picked up", async () => {
  await using fx = await bundleFixture("");
  const dbPath = join(fx.dir, "assets.db");
  const db = new DatabaseSync(dbPath);
  db.exec(`CREATE TABLE assets (bundle TEXT, path TEXT, sha256 TEXT, data BLOB, updated_at REAL, size INTEGER,
    PRIMARY KEY (bundle, path))`);
  const put = db.prepare("INSERT OR REPLACE INTO assets VALUES (?, ?, ?, ?, ?, ?)");
  const enc = new TextEncoder();
  put.run("remote", "flows/main.yaml", await _sha(enc.encode(MAIN)), MAIN, 1700000000.25, MAIN.length);
  put.run("remote", "plugins/x.wasm", await _sha(WASM), WASM, 1700000000.25, WASM.length);
  put.run("remote", "profiles.yaml", null, null, 1700000000.25, 0); // null data: an empty file
  put.run("other", "flows/main.yaml", null, "another bundle's flow", 1, 1);
  await fx.setManifest(
    manifest(
      "{type: db, resource: assets_db}",
      `{kind: db, driver: sqlite3, config: {path: "{{env.ASSETS_DB}}"}}`,
    ),
  );
  const snapshot = { ASSETS_DB: dbPath };

  const r1 = await fx.sync({ snapshot });
  assert.deepEqual(r1.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  assert.deepEqual(await Deno.readFile(join(r1.active_dir, "plugins/x.wasm")), WASM);
  assert.equal(await Deno.readTextFile(join(r1.active_dir, "flows/main.yaml")), MAIN);
  assert.equal(await Deno.readTextFile(join(r1.active_dir, "profiles.yaml")), "");

  const r2 = await fx.sync({ snapshot });
  assert.deepEqual([r2.changed, r2.fetched_files], [false, []]);
  put.run("remote", "profiles.yaml", null, "changed: {}\n", 1700000100, 12);
  const r3 = await fx.sync({ snapshot });
  assert.deepEqual([r3.changed, r3.fetched_files], [true, ["profiles.yaml"]]);
  assert.equal(await Deno.readTextFile(join(r3.active_dir, "profiles.yaml")), "changed: {}\n");

  // A row whose bytes do not match its sha256 fails the sync; the active version stays.
  put.run("remote", "flows/main.yaml", "f".repeat(64), "flow: {id: tampered}\njobs: []\n", 1700000200, 30);
  await assert.rejects(fx.sync({ snapshot }), /Checksum mismatch for flows\/main\.yaml: expected=f{64}/);
  assert.equal(await Deno.readTextFile(join(r3.active_dir, "flows/main.yaml")), MAIN);
  db.close();
});

Deno.test("bundle sync (CLI) from a db source with its own list_sql/fetch_sql; a listed file without a row fails (exit 1)", async () => {
  await using fx = await bundleFixture("");
  const dbPath = join(fx.dir, "files.db");
  const db = new DatabaseSync(dbPath);
  db.exec("CREATE TABLE files (name TEXT, body TEXT, owner TEXT)");
  const put = db.prepare("INSERT INTO files VALUES (?, ?, ?)");
  put.run("flows/main.yaml", MAIN, "remote");
  put.run("profiles.yaml", "{}\n", "remote");
  db.close();
  await fx.setManifest(manifest(
    `{type: db, resource: assets_db, list_sql: "SELECT name FROM files WHERE owner = :bundle", ` +
      `fetch_sql: "SELECT body FROM files WHERE owner = :bundle AND name = :path"}`,
    `{kind: db, driver: sqlite3, config: {path: "${dbPath}"}}`,
  ));
  const args = ["bundle", "sync", "--bundle-manifest", fx.manifestPath, "--work-root", fx.workRoot, "--json"];
  const ok = await runCli(args);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).fetched_files, ["flows/main.yaml", "profiles.yaml"]);

  // Listed but gone by the time it is fetched (fetch_sql finds no row).
  await fx.setManifest(manifest(
    `{type: db, resource: assets_db, list_sql: "SELECT name FROM files WHERE owner = :bundle UNION SELECT 'flows/ghost.yaml'", ` +
      `fetch_sql: "SELECT body FROM files WHERE owner = :bundle AND name = :path"}`,
    `{kind: db, driver: sqlite3, config: {path: "${dbPath}"}}`,
  ));
  const bad = await runCli(args.slice(0, -1));
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout + bad.stderr, /DB asset not found: bundle=remote path=flows\/ghost\.yaml/);
});

Deno.test({
  name: "bundle source db (PostgreSQL): bytea and timestamptz columns, the password never in a message",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const { default: postgres } = await import("postgres");
  const sql = postgres(db.url, { onnotice: () => {}, max: 1 });
  try {
    await sql.unsafe(
      `CREATE TABLE assets (bundle text, path text, sha256 text, data bytea, updated_at timestamptz,
      size bigint, PRIMARY KEY (bundle, path))`,
    );
    for (
      const [path, bytes] of [["flows/main.yaml", new TextEncoder().encode(MAIN)], [
        "plugins/x.wasm",
        WASM,
      ]] as const
    ) {
      await sql`INSERT INTO assets VALUES ('remote', ${path}, ${await _sha(
        bytes,
      )}, ${bytes}, now(), ${bytes.length})`;
    }
    await sql`INSERT INTO assets VALUES ('remote', 'profiles.yaml', NULL, ${
      new TextEncoder().encode("{}\n")
    }, now(), 3)`;
  } finally {
    await sql.end();
  }
  await using fx = await bundleFixture(
    manifest(
      "{type: db, resource: assets_db}",
      `{kind: db, driver: postgres, config: {url: "{{env.ASSETS_URL}}"}}`,
    ),
  );
  const r = await fx.sync({ snapshot: { ASSETS_URL: db.url } });
  assert.deepEqual(r.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  assert.deepEqual(await Deno.readFile(join(r.active_dir, "plugins/x.wasm")), WASM);

  const password = decodeURIComponent(new URL(db.url).password);
  const wrong = new URL(db.url);
  wrong.password = "Wrong-Assets-Pass-77";
  const bad = await runCli([
    "bundle",
    "sync",
    "--bundle-manifest",
    fx.manifestPath,
    "--work-root",
    fx.workRoot,
  ], {
    env: { ASSETS_URL: wrong.href },
  });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  for (const secret of [password, "Wrong-Assets-Pass-77"]) {
    assert.ok(!(bad.stdout + bad.stderr).includes(secret), bad.stdout + bad.stderr);
  }
});
