import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleFixture, makeTarGz, makeZip, readTree } from "../_test_kit.ts";
import { sha256Bytes } from "../fingerprint.ts";

function archiveManifest(source: string): string {
  return [
    "bundle:",
    "  id: a1",
    `  source: {type: archive, ${source}}`,
    "  layout: {profiles_file: profiles.yaml}",
    "  entry_flow: flows/main.yaml",
  ].join("\n");
}

const FILES = {
  "pkg/flows/main.yaml": "flow: {id: main}\njobs: []\n",
  "pkg/profiles.yaml": "{}\n",
  "other/ignored.txt": "outside base_path\n",
};

async function systemTarGz(dir: string, files: Record<string, string>): Promise<Uint8Array> {
  const tree = join(dir, "tree");
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(join(tree, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(tree, rel), text);
  }
  const out = join(dir, "made.tar.gz");
  const r = await new Deno.Command("tar", { args: ["-czf", out, "-C", tree, "."], stderr: "piped" }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  await Deno.remove(tree, { recursive: true });
  return await Deno.readFile(out);
}

Deno.test("archive source: .tar.gz and .zip bundles, base_path, sha256 pinned", async (t) => {
  for (const kind of ["tar.gz", "zip"] as const) {
    await t.step(kind, async () => {
      await using fx = await bundleFixture();
      const bytes = kind === "zip" ? await makeZip(FILES) : await systemTarGz(fx.dir, FILES);
      await Deno.writeFile(join(fx.dir, `b.${kind}`), bytes);
      await fx.setManifest(archiveManifest(`path: b.${kind}, sha256: ${sha256Bytes(bytes)}, base_path: pkg`));
      const r1 = await fx.sync();
      assert.equal(r1.changed, true);
      assert.deepEqual(await readTree(r1.local_root), {
        "flows/main.yaml": FILES["pkg/flows/main.yaml"],
        "profiles.yaml": FILES["pkg/profiles.yaml"],
      });
      assert.equal((await fx.sync()).changed, false);
      // The same content repacked (new mtimes, new archive hash) keeps the fingerprint: signatures are sha256.
      const again = kind === "zip" ? await makeZip(FILES) : await systemTarGz(fx.dir, FILES);
      await Deno.writeFile(join(fx.dir, `b.${kind}`), again);
      await fx.setManifest(archiveManifest(`path: b.${kind}, base_path: pkg`));
      const r3 = await fx.sync();
      assert.equal(r3.fingerprint, r1.fingerprint);
    });
  }
});

Deno.test("archive source: a wrong sha256 is refused naming both hashes", async () => {
  await using fx = await bundleFixture();
  const bytes = await makeZip(FILES);
  await Deno.writeFile(join(fx.dir, "b.zip"), bytes);
  const wrong = "0".repeat(64);
  await fx.setManifest(archiveManifest(`path: b.zip, sha256: "${wrong}"`));
  await assert.rejects(fx.sync(), {
    exitCode: 1,
    message: `Checksum mismatch for archive ${join(fx.dir, "b.zip")}: expected=${wrong} got=${
      sha256Bytes(bytes)
    }`,
  });
});

Deno.test("archive source: path-escaping members refuse the whole archive", async (t) => {
  const ok = { name: "flows/main.yaml", data: "flow: {id: main}\njobs: []\n" };
  const CASES = [
    [
      "'..' segment",
      [ok, { name: "../evil.txt", data: "x" }],
      "Unsafe archive entry: ../evil.txt ('..' segment)",
    ],
    [
      "nested '..'",
      [ok, { name: "a/../../evil.txt", data: "x" }],
      "Unsafe archive entry: a/../../evil.txt ('..' segment)",
    ],
    [
      "absolute name",
      [ok, { name: "/etc/evil", data: "x" }],
      "Unsafe archive entry: /etc/evil (absolute path)",
    ],
    [
      "symlink",
      [ok, { name: "link", type: "2", linkname: "/etc/passwd" }],
      "Unsafe archive entry: link (symbolic link)",
    ],
    [
      "hard link",
      [ok, { name: "hl", type: "1", linkname: "flows/main.yaml" }],
      "Unsafe archive entry: hl (hard link)",
    ],
  ] as const;
  for (const [name, members, message] of CASES) {
    await t.step(`tar.gz: ${name}`, async () => {
      await using fx = await bundleFixture();
      await Deno.writeFile(join(fx.dir, "b.tgz"), await makeTarGz(members));
      await fx.setManifest(archiveManifest("path: b.tgz"));
      await assert.rejects(fx.sync(), { code: "bundle:unsafe_entry", message });
    });
  }
  const ZIPS = [
    ["'..' segment", { "../evil.txt": "x" }, {}, "Unsafe archive entry: ../evil.txt ('..' segment)"],
    ["absolute name", { "/evil.txt": "x" }, {}, "Unsafe archive entry: /evil.txt (absolute path)"],
    ["symlink", {}, { "link": "/etc/passwd" }, "Unsafe archive entry: link (symbolic link)"],
  ] as const;
  for (const [name, files, links, message] of ZIPS) {
    await t.step(`zip: ${name}`, async () => {
      await using fx = await bundleFixture();
      await Deno.writeFile(
        join(fx.dir, "b.zip"),
        await makeZip({ "flows/main.yaml": ok.data, ...files }, links),
      );
      await fx.setManifest(archiveManifest("path: b.zip"));
      await assert.rejects(fx.sync(), { code: "bundle:unsafe_entry", message });
    });
  }
});

Deno.test("archive source: a corrupt archive is a sync failure, not a crash", async () => {
  await using fx = await bundleFixture();
  await Deno.writeTextFile(join(fx.dir, "b.tgz"), "not gzip at all");
  await fx.setManifest(archiveManifest("path: b.tgz"));
  await assert.rejects(fx.sync(), { exitCode: 1, message: /^Invalid tar\.gz archive: / });
  await Deno.writeTextFile(join(fx.dir, "b.zip"), "not a zip either");
  await fx.setManifest(archiveManifest("path: b.zip"));
  await assert.rejects(fx.sync(), { exitCode: 1, message: /^Invalid zip archive: / });
});
