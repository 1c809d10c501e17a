// Zip-slip: archives whose entries would land outside dest_dir (`..`, absolute names, drive letters, symbolic
// links, a symlink already in dest_dir) are refused by every extracting driver before anything is written, and
// nothing appears outside dest_dir.
import assert from "node:assert/strict";
import { join } from "node:path";
import { archiveExternal } from "./archive_external.ts";
import { archiveOs } from "./archive_os.ts";
import { archivePyzipper } from "./archive_pyzipper.ts";
import { archiveZipfile } from "./archive_zipfile.ts";
import type { AnyConnectorDefinition } from "../types.ts";
import { craftZip, openArchive, readTree, scratch } from "./_archive_test_kit.ts";

// Program drivers extract into a staging folder first, where `link/` exists as a directory of its own: the
// refusal then names it (zip.js checks the member `link/pwned.txt` itself).
const DRIVERS: [AnyConnectorDefinition, Record<string, unknown>, { staged: boolean }][] = [
  [archiveZipfile, {}, { staged: false }],
  [archivePyzipper, {}, { staged: false }],
  [archiveOs, {}, { staged: true }],
  [archiveExternal, { unzip_cmd: ["unzip", "-q", "{archive}", "-d", "{dest}"] }, { staged: true }],
];

function _cases(outside: string) {
  return [
    { bad: "../evil.txt", why: "'..' segment escapes dest_dir" },
    { bad: "a/../../evil.txt", why: "'..' segment escapes dest_dir" },
    { bad: `${outside}/abs.txt`, why: "absolute path" },
    { bad: "C:\\evil.txt", why: "drive letter" },
    { bad: "..\\evil.txt", why: "'..' segment escapes dest_dir" },
  ];
}

for (const [def, config, { staged }] of DRIVERS) {
  Deno.test(`zip-slip: archive:${def.driver} refuses escaping names and symlink entries, writing nothing`, async (t) => {
    await using dir = await scratch();
    const outside = join(dir.path, "outside");
    await Deno.mkdir(outside);
    const { archive } = await openArchive(def, config);
    for (const c of _cases(outside)) {
      await t.step(c.bad, async () => {
        const zipPath = join(dir.path, "evil.zip");
        await craftZip(zipPath, [{ name: "ok.txt", text: "fine" }, { name: c.bad, text: "pwned" }]);
        const dest = join(dir.path, "dest");
        await assert.rejects(archive.extract_zip!({ archive: zipPath, dest_dir: dest }), {
          message: `Unsafe zip entry '${c.bad}' in ${zipPath}: ${c.why}; nothing was extracted`,
        });
        assert.deepEqual(await readTree(dest), {});
        assert.deepEqual(await readTree(outside), {});
        const strays = Object.keys(await readTree(dir.path)).filter((k) =>
          /evil|abs/.test(k) && !k.endsWith(".zip")
        );
        assert.deepEqual(strays, []);
      });
    }
    await t.step("a symlink entry, and a member written through it", async () => {
      const zipPath = join(dir.path, "link.zip");
      await craftZip(zipPath, [
        { name: "link", text: outside, symlink: true },
        { name: "link/pwned.txt", text: "pwned" },
      ]);
      const dest = join(dir.path, "dest2");
      await assert.rejects(archive.extract_zip!({ archive: zipPath, dest_dir: dest }), {
        message: `Unsafe zip entry 'link' in ${zipPath}: symbolic link entry; nothing was extracted`,
      });
      assert.deepEqual(await readTree(dest), {});
      assert.deepEqual(await readTree(outside), {});
    });
    await t.step("a symlink already in dest_dir is not written through", async () => {
      const zipPath = join(dir.path, "through.zip");
      await craftZip(zipPath, [{ name: "ok.txt", text: "fine" }, { name: "link/pwned.txt", text: "pwned" }]);
      const dest = join(dir.path, "dest3");
      await Deno.mkdir(dest);
      await Deno.symlink(outside, join(dest, "link"));
      const refusal = staged
        ? "'link' in ${zip}: dest_dir already holds a symbolic link at its path"
        : "'link/pwned.txt' in ${zip}: its path in dest_dir goes through a symbolic link";
      await assert.rejects(archive.extract_zip!({ archive: zipPath, dest_dir: dest }), {
        message: `Unsafe zip entry ${refusal.replace("${zip}", zipPath)}; nothing was extracted`,
      });
      assert.deepEqual(await readTree(dest), { link: `-> ${outside}` });
      assert.deepEqual(await readTree(outside), {});
    });
  });
}

Deno.test("zip-slip: a program that creates a symlink is caught by the staging check; nothing is moved", async () => {
  await using dir = await scratch();
  const outside = join(dir.path, "outside");
  await Deno.mkdir(outside);
  const zipPath = join(dir.path, "plain.zip");
  await craftZip(zipPath, [{ name: "ok.txt", text: "fine" }]);
  const { archive } = await openArchive(archiveExternal, {
    unzip_cmd: ["sh", "-c", `echo fine > "$0/ok.txt" && ln -s "${outside}" "$0/escape"`, "{dest}"],
  });
  const dest = join(dir.path, "dest");
  await assert.rejects(archive.extract_zip!({ archive: zipPath, dest_dir: dest }), {
    message: `Unsafe zip entry 'escape' in ${zipPath}: symbolic link entry; nothing was extracted`,
  });
  assert.deepEqual(await readTree(dest), {});
  assert.deepEqual(await readTree(outside), {});
});

Deno.test("zip bomb guard: an entry inflating beyond the size its central directory declares fails, nothing kept", async () => {
  await using dir = await scratch();
  const archive = join(dir.path, "liar.zip");
  await craftZip(archive, [{ name: "ok.txt", text: "fine\n" }, {
    name: "big.txt",
    text: "x".repeat(100_000),
  }]);
  // Rewrite big.txt's uncompressed size in the central directory (offset 24 of its 0x02014b50 record) to 10.
  const bytes = await Deno.readFile(archive);
  const view = new DataView(bytes.buffer);
  let patched = 0;
  for (let i = bytes.length - 46; i >= 0; i--) {
    if (view.getUint32(i, true) !== 0x02014b50) continue;
    const nameLen = view.getUint16(i + 28, true);
    if (new TextDecoder().decode(bytes.subarray(i + 46, i + 46 + nameLen)) !== "big.txt") continue;
    view.setUint32(i + 24, 10, true);
    patched++;
  }
  assert.equal(patched, 1);
  await Deno.writeFile(archive, bytes);
  const { archive: zipfile } = await openArchive(archiveZipfile);
  const dest = join(dir.path, "out");
  await assert.rejects(
    zipfile.extract_zip!({ archive, dest_dir: dest }),
    (err: Error) => err.message.startsWith(`Cannot read zip archive ${archive}: `),
  );
  // ok.txt came first and stays; no part file and no big.txt.
  assert.deepEqual(Object.keys(await readTree(dest)), ["ok.txt"]);
});
