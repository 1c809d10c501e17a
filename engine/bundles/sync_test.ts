import assert from "node:assert/strict";
import { join } from "node:path";
import { BASIC_TREE, bundleFixture, filesystemManifest, readTree } from "./_test_kit.ts";
import { bundleLayout } from "./layout.ts";
import { loadManifest } from "./load_manifest.ts";
import { bundleStatus } from "./status.ts";
import type { BundleSource } from "./sources/mod.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("syncBundle() reports changed and fetched files across syncs", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  const r1 = await fx.sync();
  assert.equal(r1.changed, true);
  assert.deepEqual(r1.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  assert.equal(r1.local_root, join(fx.workRoot, "bundles", "b1", "active"));
  const r2 = await fx.sync();
  assert.deepEqual([r2.changed, r2.fetched_files, r2.fingerprint], [false, [], r1.fingerprint]);
  await fx.write({ "plugins/x.wasm": "a new plugin build" });
  const r3 = await fx.sync();
  assert.deepEqual([r3.changed, r3.fetched_files], [true, ["plugins/x.wasm"]]);
  assert.notEqual(r3.fingerprint, r1.fingerprint);
  assert.deepEqual(await readTree(r3.local_root), { ...BASIC_TREE, "plugins/x.wasm": "a new plugin build" });
  const layout = bundleLayout(fx.workRoot, "b1");
  const latest = JSON.parse(await Deno.readTextFile(layout.latest));
  assert.deepEqual(Object.keys(latest), ["fingerprint", "snapshot", "updated_at"]);
  assert.equal(latest.fingerprint, r3.fingerprint);
  assert.match(latest.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  const snap = JSON.parse(await Deno.readTextFile(join(layout.fingerprints, latest.snapshot)));
  assert.deepEqual(Object.keys(snap), [
    "version",
    "bundle_id",
    "fingerprint",
    "created_at",
    "source",
    "files",
    "strict_fingerprint",
  ]);
  assert.ok(snap.files.every((f: { sha256: string }) => /^[0-9a-f]{64}$/.test(f.sha256)));
  // The active and the previous version are kept; nothing is left in staging.
  assert.deepEqual(await names(layout.versions), [r1.fingerprint, r3.fingerprint].sort());
  assert.deepEqual(await names(layout.staged), []);
  await fx.write({ "profiles.yaml": "p: {}\n" });
  const r4 = await fx.sync();
  assert.deepEqual(await names(layout.versions), [r3.fingerprint, r4.fingerprint].sort());
});

Deno.test("syncBundle() with strict_fingerprint sees a content change that keeps size and mtime", async () => {
  await using fx = await bundleFixture(
    filesystemManifest().replace("base_path: src}", "base_path: src, strict_fingerprint: true}"),
  );
  await fx.write(BASIC_TREE);
  const file = join(fx.src, "profiles.yaml");
  const pin = new Date(1_700_000_000_000);
  await Deno.utime(file, pin, pin);
  const r1 = await fx.sync();
  assert.equal(r1.changed, true);
  assert.deepEqual(r1.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  await Deno.writeTextFile(file, "[]\n"); // same size as "{}\n"
  await Deno.utime(file, pin, pin);
  const r2 = await fx.sync();
  assert.deepEqual([r2.changed, r2.fetched_files], [true, ["profiles.yaml"]]);
  assert.equal(await Deno.readTextFile(join(r2.local_root, "profiles.yaml")), "[]\n");
  const r3 = await fx.sync();
  assert.deepEqual([r3.changed, r3.fetched_files], [false, []]);
});

Deno.test("syncBundle() without strict_fingerprint trusts size and mtime", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  const file = join(fx.src, "profiles.yaml");
  const pin = new Date(1_700_000_000_000);
  await Deno.utime(file, pin, pin);
  await fx.sync();
  await Deno.writeTextFile(file, "[]\n");
  await Deno.utime(file, pin, pin);
  assert.equal((await fx.sync()).changed, false);
});

Deno.test("syncBundle() with fetch_policy always re-materialises and keeps the old version usable", async () => {
  await using fx = await bundleFixture(filesystemManifest({ extra: "  fetch_policy: always" }));
  await fx.write(BASIC_TREE);
  const r1 = await fx.sync();
  const r2 = await fx.sync();
  assert.deepEqual([r2.changed, r2.fetched_files, r2.fingerprint], [true, [], r1.fingerprint]);
  assert.equal(r2.versionDir, join(fx.workRoot, "bundles", "b1", "versions", `${r1.fingerprint}.2`));
  assert.deepEqual(await readTree(r2.local_root), BASIC_TREE);
});

Deno.test("syncBundle() restores a deleted active link from the cache", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  await fx.sync();
  await Deno.remove(join(fx.workRoot, "bundles", "b1", "active"));
  const r = await fx.sync();
  assert.deepEqual([r.changed, r.fetched_files], [true, []]);
  assert.deepEqual(await readTree(r.local_root), BASIC_TREE);
});

Deno.test("syncBundle() re-reads a damaged cache blob instead of shipping it", async () => {
  await using fx = await bundleFixture(filesystemManifest({ extra: "  fetch_policy: always" }));
  await fx.write(BASIC_TREE);
  const r1 = await fx.sync();
  const layout = bundleLayout(fx.workRoot, "b1");
  for (const name of await names(layout.cache)) await Deno.writeTextFile(join(layout.cache, name), "garbage");
  const r2 = await fx.sync();
  assert.equal(r2.fingerprint, r1.fingerprint);
  assert.deepEqual(r2.fetched_files, ["flows/main.yaml", "plugins/x.wasm", "profiles.yaml"]);
  assert.deepEqual(await readTree(r2.local_root), BASIC_TREE);
});

Deno.test("syncBundle() fails without a stale fallback and writes last_error.json", async () => {
  await using fx = await bundleFixture();
  await fx.write({ "profiles.yaml": "{}\n" });
  await assert.rejects(fx.sync({ allowStale: true }), {
    exitCode: 1,
    message: "entry_flow not found in bundle: flows/main.yaml",
  });
  const layout = bundleLayout(fx.workRoot, "b1");
  const err = JSON.parse(await Deno.readTextFile(layout.lastError));
  assert.deepEqual(Object.keys(err), [
    "bundle_id",
    "source_type",
    "base_path",
    "bundle_manifest",
    "old_fingerprint",
    "new_fingerprint",
    "strict_fingerprint",
    "error",
    "updated_at",
  ]);
  assert.equal(err.error, "entry_flow not found in bundle: flows/main.yaml");
  assert.equal(err.old_fingerprint, null);
  assert.deepEqual(await names(layout.staged), []);
  assert.equal((await bundleStatus(await loadManifest(fx.manifestPath), fx.workRoot)).has_active, false);
});

Deno.test("syncBundle() with allowStale falls back to the active bundle on any failure", async (t) => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  const good = await fx.sync();
  const layout = bundleLayout(fx.workRoot, "b1");
  const cases: [string, () => Promise<void>, RegExp][] = [
    [
      "entry flow removed",
      () => Deno.remove(join(fx.src, "flows/main.yaml")),
      /entry_flow not found in bundle/,
    ],
    ["source unreadable", async () => {
      await Deno.remove(fx.src, { recursive: true });
      await Deno.writeTextFile(fx.src, "a file where the directory was");
    }, /Not a directory|not a directory/],
  ];
  for (const [name, breakIt, why] of cases) {
    await t.step(name, async () => {
      await breakIt();
      const warnings: string[] = [];
      const r = await fx.sync({ allowStale: true, warn: (m) => warnings.push(m) });
      assert.deepEqual([r.changed, r.fetched_files, r.fingerprint, r.stale], [
        false,
        [],
        good.fingerprint,
        true,
      ]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^Bundle sync failed, using stale active bundle_id=b1: /);
      assert.match(JSON.parse(await Deno.readTextFile(layout.lastError)).error, why);
      assert.deepEqual(await readTree(r.local_root), BASIC_TREE);
      await assert.rejects(fx.sync(), { exitCode: 1 });
    });
  }
  await Deno.remove(fx.src, { recursive: true });
  await fx.write(BASIC_TREE);
  await fx.sync();
  assert.equal(await Deno.stat(layout.lastError).then(() => true, () => false), false);
});

Deno.test("syncBundle() follows symlinks inside the source and refuses one that leaves it", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  await Deno.mkdir(join(fx.dir, "outside"));
  await Deno.writeTextFile(join(fx.dir, "outside", "secret.txt"), "not for the bundle");
  await Deno.symlink(join(fx.src, "profiles.yaml"), join(fx.src, "alias.yaml"));
  await Deno.symlink(join(fx.dir, "outside"), join(fx.src, "linked_dir"));
  const r = await fx.sync();
  assert.deepEqual(
    Object.keys(await readTree(r.local_root)),
    ["alias.yaml", ...Object.keys(BASIC_TREE)].sort(),
  );
  await Deno.symlink(join(fx.dir, "outside", "secret.txt"), join(fx.src, "flows", "leak.txt"));
  await assert.rejects(fx.sync(), {
    code: "bundle:unsafe_entry",
    message: new RegExp(`^Unsafe bundle entry: flows/leak\\.txt \\(symbolic link to .*secret\\.txt leaves`),
  });
  assert.deepEqual(await readTree(r.local_root), await readTree(r.versionDir));
});

Deno.test("syncBundle() leaves the work root out when it lies inside the source", async () => {
  await using fx = await bundleFixture(
    filesystemManifest({ basePath: "." }).replace("flows/main.yaml", "src/flows/main.yaml"),
  );
  await fx.write(BASIC_TREE);
  await fx.sync();
  const r = await fx.sync(); // the first sync created wr/ inside the base directory
  assert.equal(r.changed, false);
  const shipped = Object.keys(await readTree(r.local_root));
  assert.ok(shipped.includes("m.yaml"));
  assert.ok(!shipped.some((p) => p.startsWith("wr/")));
});

Deno.test("syncBundle() serialises concurrent syncs of one bundle", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  const results = await Promise.all([1, 2, 3, 4].map(() => fx.sync()));
  assert.equal(results.filter((r) => r.changed).length, 1);
  assert.equal(new Set(results.map((r) => r.fingerprint)).size, 1);
  assert.deepEqual(await readTree(results[0]!.local_root), BASIC_TREE);
  assert.deepEqual(await names(bundleLayout(fx.workRoot, "b1").versions), [results[0]!.fingerprint]);
});

Deno.test("syncBundle() after a kill between the swap and the snapshot write activates the listed version", async () => {
  // A sync killed after `active` moved to v2 but before latest.json was written leaves latest.json naming v1.
  // Syncing v1's content again must not take the unchanged-fingerprint shortcut to the v2 that `active` shows.
  await using fx = await bundleFixture();
  const pin = new Date(1_700_000_000_000);
  const writePinned = async (text: string) => {
    await fx.write({ ...BASIC_TREE, "profiles.yaml": text });
    for (const rel of Object.keys(BASIC_TREE)) await Deno.utime(join(fx.src, rel), pin, pin);
  };
  const layout = bundleLayout(fx.workRoot, "b1");
  await writePinned("v1: {}\n");
  const r1 = await fx.sync();
  const latestV1 = await Deno.readFile(layout.latest);
  await writePinned("v2: {}\n# two\n");
  const r2 = await fx.sync();
  assert.notEqual(r2.fingerprint, r1.fingerprint);
  await Deno.writeFile(layout.latest, latestV1); // the state the kill leaves (each write is atomic)
  await writePinned("v1: {}\n");
  const r3 = await fx.sync();
  assert.equal(r3.fingerprint, r1.fingerprint);
  assert.equal(r3.changed, true);
  assert.deepEqual(await readTree(r3.local_root), { ...BASIC_TREE, "profiles.yaml": "v1: {}\n" });
  assert.equal(JSON.parse(await Deno.readTextFile(layout.latest)).fingerprint, r1.fingerprint);
  const r4 = await fx.sync();
  assert.deepEqual([r4.changed, r4.fetched_files], [false, []]);
});

Deno.test("syncBundle() migrates an upstream-style active directory", async () => {
  await using fx = await bundleFixture();
  await fx.write(BASIC_TREE);
  const layout = bundleLayout(fx.workRoot, "b1");
  await Deno.mkdir(layout.active, { recursive: true });
  await Deno.writeTextFile(join(layout.active, "old.txt"), "old");
  const r = await fx.sync();
  assert.equal((await Deno.lstat(layout.active)).isSymlink, true);
  assert.deepEqual(await readTree(r.local_root), BASIC_TREE);
});

/** An in-memory source listing whatever names it is given (as a connector-backed source could). */
function listingSource(names: readonly string[]): BundleSource {
  return {
    type: "memory",
    basePath: "/",
    list: () => Promise.resolve(names.map((n) => ({ rel_path: n, path: n, size: 1, mtime: null }))),
    read: () => Promise.resolve(new TextEncoder().encode("x")),
    identity: () => ({ type: "memory", base_path: "/" }),
    close: () => Promise.resolve(),
  };
}

Deno.test("syncBundle() refuses a path-escaping entry whatever source lists it", async (t) => {
  const CASES = [
    ["../evil", "'..' segment"],
    ["a/../../evil", "'..' segment"],
    ["/etc/passwd", "absolute path"],
    ["a//b", "empty or '.' segment"],
    ["./a", "empty or '.' segment"],
    ["a\\..\\b", "backslash"],
  ] as const;
  for (const [name, why] of CASES) {
    await t.step(name, async () => {
      await using fx = await bundleFixture();
      const source = listingSource(["flows/main.yaml", name]);
      await assert.rejects(fx.sync({ source }), {
        code: "bundle:unsafe_entry",
        message: `Unsafe bundle entry: ${name} (${why}; source=memory)`,
      });
      assert.equal(
        await Deno.stat(join(fx.workRoot, "bundles", "b1", "active")).then(() => true, () => false),
        false,
      );
    });
  }
  await t.step("a name listed twice", async () => {
    await using fx = await bundleFixture();
    await assert.rejects(fx.sync({ source: listingSource(["flows/main.yaml", "flows/main.yaml"]) }), {
      message: "Unsafe bundle entry: flows/main.yaml (listed twice; source=memory)",
    });
  });
  await t.step("a clean listing goes through", async () => {
    await using fx = await bundleFixture();
    const r = await fx.sync({ source: listingSource(["flows/main.yaml", "data/x.txt"]) });
    assert.deepEqual(await readTree(r.local_root), { "data/x.txt": "x", "flows/main.yaml": "x" });
  });
});
