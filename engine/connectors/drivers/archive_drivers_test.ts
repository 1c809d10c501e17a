// The archive drivers against real files and the real Info-ZIP `zip`/`unzip` and Python `zipfile` programs:
// what they write must be readable by other tools, and what other tools write must be readable here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { archiveExternal } from "./archive_external.ts";
import { archiveOs } from "./archive_os.ts";
import { archivePyminizip } from "./archive_pyminizip.ts";
import { archivePyzipper } from "./archive_pyzipper.ts";
import { archiveZipfile } from "./archive_zipfile.ts";
import { aesBits, openArchive, readTree, scratch, sh, writeTree } from "./_archive_test_kit.ts";

const PW = "Zip-Secret-4711";
const TREE = { "a.txt": "alpha\n", "sub/b.txt": "beta ü\n".repeat(500), "sub/deep/c.csv": "x,y\n1,2\n" };

async function _files(root: string): Promise<string[]> {
  return await writeTree(join(root, "src"), TREE);
}

/** The member names and methods `zipinfo` (Info-ZIP) sees: `name method`. */
async function _zipinfo(zipPath: string): Promise<string[]> {
  const { code, out } = await sh("unzip", ["-Z", zipPath]);
  assert.equal(code, 0, out);
  return out.split("\n").filter((l) => /^[-d]/.test(l)).map((l) => {
    const cols = l.trim().split(/\s+/);
    return `${cols.at(-1)} ${cols[5]}`;
  }).sort();
}

Deno.test("archive:zipfile writes a plain deflate zip Info-ZIP and Python read; stored on request; no tmp left", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archiveZipfile);
  const output = join(dir.path, "out", "a.zip");
  const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src") });
  assert.deepEqual(r, { output, count: 3, password: false, driver: "zipfile" });
  assert.deepEqual(await _zipinfo(output), ["a.txt defN", "sub/b.txt defN", "sub/deep/c.csv defN"]);
  assert.deepEqual((await sh("unzip", ["-tq", output])).code, 0);
  const py = await sh("python3", [
    "-c",
    "import sys,zipfile;print(zipfile.ZipFile(sys.argv[1]).read('sub/b.txt').decode()[:6])",
    output,
  ]);
  assert.equal(py.out.trim(), "beta ü");
  await assert.rejects(Deno.stat(`${output}.tmp`), Deno.errors.NotFound);

  const stored = join(dir.path, "stored.zip");
  await archive.create_zip({ output: stored, files, base_dir: join(dir.path, "src"), compression: "STORED" });
  assert.deepEqual(await _zipinfo(stored), ["a.txt stor", "sub/b.txt stor", "sub/deep/c.csv stor"]);
});

Deno.test("archive:zipfile keeps mtime and permission bits across a round trip; extract_zip lists the files", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  await Deno.chmod(files[0]!, 0o750);
  await Deno.utime(files[0]!, new Date("2024-03-01T10:00:00Z"), new Date("2024-03-01T10:00:00Z"));
  const { archive } = await openArchive(archiveZipfile);
  const output = join(dir.path, "a.zip");
  await archive.create_zip({ output, files, base_dir: join(dir.path, "src") });
  const dest = join(dir.path, "x");
  const r = await archive.extract_zip!({ archive: output, dest_dir: dest });
  assert.deepEqual(r.files, ["a.txt", "sub/b.txt", "sub/deep/c.csv"].map((f) => join(dest, f)));
  assert.deepEqual(await readTree(dest), TREE);
  const st = await Deno.stat(join(dest, "a.txt"));
  assert.equal(st.mode! & 0o777, 0o750);
  // zip timestamps have 2 s resolution and no zone in the DOS field; zip.js writes the extended one too.
  assert.ok(Math.abs(st.mtime!.getTime() - Date.parse("2024-03-01T10:00:00Z")) <= 2000, String(st.mtime));
});

Deno.test("archive:zipfile refuses to write an encrypted zip, names the alternatives, and writes nothing", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archiveZipfile);
  const output = join(dir.path, "a.zip");
  await assert.rejects(
    archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW }),
    {
      message: "archive.zipfile does not support writing encrypted ZIPs. " +
        "Use driver pyzipper (AES) or pyminizip/os (ZipCrypto).",
    },
  );
  await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
});

Deno.test("a file outside base_dir is refused by every driver before an archive is written", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const outside = join(dir.path, "outside.txt");
  await Deno.writeTextFile(outside, "x");
  for (const def of [archiveZipfile, archivePyzipper, archiveOs]) {
    const { archive } = await openArchive(def);
    const output = join(dir.path, `${def.driver}.zip`);
    await assert.rejects(
      archive.create_zip({ output, files: [...files, outside], base_dir: join(dir.path, "src") }),
      { message: `File '${outside}' is outside base_dir '${join(dir.path, "src")}'` },
    );
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
  }
});

for (const bits of [128, 192, 256]) {
  Deno.test(`archive:pyzipper writes WinZip AES-${bits} and reads it back; the password is registered`, async () => {
    await using dir = await scratch();
    const files = await _files(dir.path);
    const { archive, secrets } = await openArchive(archivePyzipper, { aes_strength: bits });
    const output = join(dir.path, "a.zip");
    const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
    assert.deepEqual(r, { output, count: 3, password: true, driver: "pyzipper" });
    assert.equal(aesBits(await Deno.readFile(output)), bits);
    assert.deepEqual(secrets, [PW]);
    // Info-ZIP unzip 6.0 cannot decrypt AES: it must not silently read it as plain either.
    assert.notEqual((await sh("unzip", ["-P", PW, "-tq", output])).code, 0);
    const dest = join(dir.path, "x");
    const back = await archive.extract_zip!({ archive: output, dest_dir: dest, password: PW });
    assert.equal(back.password, true);
    assert.deepEqual(await readTree(dest), TREE);
  });
}

Deno.test("archive:pyzipper without a password writes a plain zip", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archivePyzipper);
  const output = join(dir.path, "a.zip");
  const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: "" });
  assert.equal(r.password, false);
  assert.equal((await sh("unzip", ["-tq", output])).code, 0);
});

Deno.test("extract: a wrong or missing password fails naming the archive, never the password, and leaves no file", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archivePyzipper);
  const output = join(dir.path, "a.zip");
  await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
  const dest = join(dir.path, "x");
  await assert.rejects(
    archive.extract_zip!({ archive: output, dest_dir: dest, password: "wrong-one" }),
    (e: Error) => {
      assert.equal(e.message, `Wrong password for zip archive ${output}`);
      return true;
    },
  );
  await assert.rejects(archive.extract_zip!({ archive: output, dest_dir: dest }), {
    message: `Zip archive ${output} is encrypted: set inputs.password`,
  });
  assert.deepEqual(await readTree(dest), {});
});

Deno.test("archive:pyminizip writes ZipCrypto that Info-ZIP and Python decrypt; needs a password; cannot unzip", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archivePyminizip, { level: 9 });
  const output = join(dir.path, "a.zip");
  const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
  assert.deepEqual(r, { output, count: 3, password: true, driver: "pyminizip" });
  assert.equal(aesBits(await Deno.readFile(output)), null);
  const dest = join(dir.path, "info-zip");
  assert.equal((await sh("unzip", ["-q", "-P", PW, output, "-d", dest])).code, 0);
  assert.deepEqual(await readTree(dest), TREE);
  const py = await sh("python3", [
    "-c",
    "import sys,zipfile;print(zipfile.ZipFile(sys.argv[1]).read('a.txt',pwd=sys.argv[2].encode()).decode())",
    output,
    PW,
  ]);
  assert.equal(py.out, "alpha\n\n");
  await assert.rejects(archive.create_zip({ output, files, base_dir: join(dir.path, "src") }), {
    message: "archive.pyminizip is intended for encrypted zips; set inputs.password",
  });
  await assert.rejects(archive.extract_zip!({ archive: output, dest_dir: dest, password: PW }), {
    message: "archive.pyminizip does not support unzip; use driver zipfile, pyzipper or os",
  });
});

Deno.test("archive:os round trip through zip/unzip with ZipCrypto; zip.js reads what zip wrote", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive, secrets } = await openArchive(archiveOs);
  const output = join(dir.path, "a.zip");
  const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
  assert.deepEqual(r, { output, count: 3, password: true, driver: "os" });
  assert.deepEqual(secrets, [PW]);
  const viaOs = join(dir.path, "os");
  const back = await archive.extract_zip!({ archive: output, dest_dir: viaOs, password: PW });
  assert.deepEqual(back.files, ["a.txt", "sub/b.txt", "sub/deep/c.csv"].map((f) => join(viaOs, f)));
  assert.deepEqual(await readTree(viaOs), TREE);
  const { archive: zipjs } = await openArchive(archiveZipfile);
  const viaZipJs = join(dir.path, "zipjs");
  await zipjs.extract_zip!({ archive: output, dest_dir: viaZipJs, password: PW });
  assert.deepEqual(await readTree(viaZipJs), TREE);
  // No staging folder is left behind.
  assert.deepEqual([...Deno.readDirSync(viaOs)].map((e) => e.name).sort(), ["a.txt", "sub"]);
});

Deno.test("archive:os extracts only the listed members (names with glob characters too); unknown ones fail", async () => {
  await using dir = await scratch();
  const files = await writeTree(join(dir.path, "src"), {
    "a[1].txt": "one",
    "a1.txt": "plain",
    "b.txt": "b",
  });
  const { archive } = await openArchive(archiveOs);
  const output = join(dir.path, "a.zip");
  await archive.create_zip({ output, files, base_dir: join(dir.path, "src") });
  const dest = join(dir.path, "x");
  await archive.extract_zip!({ archive: output, dest_dir: dest, members: ["a[1].txt"] });
  assert.deepEqual(await readTree(dest), { "a[1].txt": "one" });
  await assert.rejects(archive.extract_zip!({ archive: output, dest_dir: dest, members: ["zz.txt"] }), {
    message: `There is no item named 'zz.txt' in the archive ${output}`,
  });
});

Deno.test("archive:os: a wrong password is reported as such; a missing program names itself", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archiveOs);
  const output = join(dir.path, "a.zip");
  await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
  await assert.rejects(
    archive.extract_zip!({ archive: output, dest_dir: join(dir.path, "x"), password: "nope-nope" }),
    { message: `Wrong password for zip archive ${output}` },
  );
  const { archive: broken } = await openArchive(archiveOs, { zip_cmd: "no-such-zip-program" });
  await assert.rejects(broken.create_zip({ output, files, base_dir: join(dir.path, "src") }), {
    message: "archive.os requires 'no-such-zip-program' on PATH",
  });
});

Deno.test("archive:os: a failing zip run shows its stderr with the password blanked, and leaves no output", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  // A fake `zip` that echoes its argv (password included) to stderr and fails.
  const fake = join(dir.path, "fakezip");
  await Deno.writeTextFile(fake, '#!/bin/sh\necho "fatal: $*" >&2\nexit 15\n');
  await Deno.chmod(fake, 0o755);
  const { archive } = await openArchive(archiveOs, { zip_cmd: fake });
  const output = join(dir.path, "a.zip");
  await assert.rejects(
    archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW }),
    (e: Error) => {
      assert.match(
        e.message,
        /^archive\.os: '.*fakezip' exited 15: fatal: -q -r .*a\.zip\.tmp -P \*\*\* -@$/,
      );
      assert.ok(!e.message.includes(PW));
      return true;
    },
  );
  await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${output}.tmp`), Deno.errors.NotFound);
});

Deno.test("archive:external runs the argv templates ({files} expands, {password} filled) in base_dir", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archiveExternal, {
    zip_cmd: ["zip", "-q", "-P", "{password}", "{archive}", "{files}"],
    unzip_cmd: ["unzip", "-q", "-P", "{password}", "{archive}", "-d", "{dest}"],
  });
  const output = join(dir.path, "a.zip");
  const r = await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), password: PW });
  assert.deepEqual(r, { output, count: 3, password: true, driver: "external" });
  const dest = join(dir.path, "x");
  const back = await archive.extract_zip!({ archive: output, dest_dir: dest, password: PW });
  assert.equal(back.files?.length, 3);
  assert.deepEqual(await readTree(dest), TREE);
  await assert.rejects(archive.extract_zip!({ archive: output, dest_dir: dest, members: ["a.txt"] }), {
    message: "archive.external currently does not support 'members' extraction",
  });
  const { archive: none } = await openArchive(archiveExternal, {});
  await assert.rejects(none.create_zip({ output, files, base_dir: join(dir.path, "src") }), {
    message: "archive.external requires config.zip_cmd (list[str])",
  });
  await assert.rejects(none.extract_zip!({ archive: output, dest_dir: dest }), {
    message: "archive.external requires config.unzip_cmd (list[str])",
  });
});

Deno.test("overwrite: false keeps existing files on extract (zip.js and os); true replaces them", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  for (const def of [archiveZipfile, archiveOs]) {
    const { archive } = await openArchive(def);
    const output = join(dir.path, `${def.driver}.zip`);
    await archive.create_zip({ output, files, base_dir: join(dir.path, "src") });
    const dest = join(dir.path, `x-${def.driver}`);
    await writeTree(dest, { "a.txt": "mine" });
    const kept = await archive.extract_zip!({ archive: output, dest_dir: dest, overwrite: false });
    assert.equal((await readTree(dest))["a.txt"], "mine", def.driver);
    assert.ok(!kept.files?.includes(join(dest, "a.txt")), def.driver);
    await archive.extract_zip!({ archive: output, dest_dir: dest, overwrite: true });
    assert.equal((await readTree(dest))["a.txt"], "alpha\n", def.driver);
  }
});

Deno.test("create: overwrite replaces an existing archive; a stale .tmp from a killed run is ignored", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const output = join(dir.path, "a.zip");
  await Deno.writeTextFile(output, "old");
  await Deno.writeTextFile(`${output}.tmp`, "stale half archive");
  for (const def of [archiveZipfile, archiveOs]) {
    const { archive } = await openArchive(def);
    await archive.create_zip({ output, files, base_dir: join(dir.path, "src"), overwrite: false });
    const { code, out } = await sh("unzip", ["-Z1", output]);
    assert.equal(code, 0, out);
    assert.deepEqual(out.trim().split("\n").sort(), ["a.txt", "sub/b.txt", "sub/deep/c.csv"], def.driver);
  }
});

Deno.test("a truncated archive is a clear error naming it, and nothing is extracted", async () => {
  await using dir = await scratch();
  const files = await _files(dir.path);
  const { archive } = await openArchive(archiveZipfile);
  const output = join(dir.path, "a.zip");
  await archive.create_zip({ output, files, base_dir: join(dir.path, "src") });
  const bytes = await Deno.readFile(output);
  const cut = join(dir.path, "cut.zip");
  await Deno.writeFile(cut, bytes.slice(0, Math.floor(bytes.length / 2)));
  const dest = join(dir.path, "x");
  await assert.rejects(archive.extract_zip!({ archive: cut, dest_dir: dest }), (e: Error) => {
    assert.match(e.message, new RegExp(`^Cannot read zip archive ${cut.replaceAll(".", "\\.")}: `));
    return true;
  });
  assert.deepEqual(await readTree(dest), {});
});
