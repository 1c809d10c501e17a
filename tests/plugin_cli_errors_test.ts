// User mistakes with `plugin pin|verify|new|hash` give one clean `Error:` line with the right exit code
// (file:line:col for lock content), never `Internal error:`, and never a half-written lock.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";

function _clean(res: { stderr: string }): void {
  assert.doesNotMatch(res.stderr, /Internal error|^\s+at /m, res.stderr);
}

Deno.test("plugin pin: a lock in a missing folder or a lock that is a folder is a clean exit 2", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const missing = await runCli(["plugin", "pin", p.path, "--lock", join(dir.path, "nope", "l.yaml")]);
  assert.equal(missing.code, 2, missing.stderr);
  _clean(missing);
  assert.match(missing.stderr, /^Error: Plugin lock folder does not exist: .*nope\n$/);
  const folder = await runCli(["plugin", "pin", p.path, "--lock", dir.path]);
  assert.equal(folder.code, 2, folder.stderr);
  _clean(folder);
  assert.match(folder.stderr, /is a directory, not a file/);
});

Deno.test("plugin pin: a mistyped --grant gets a did-you-mean; a bad dirs mode is refused", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const lock = join(dir.path, "l.yaml");
  const typo = await runCli(["plugin", "pin", p.path, "--lock", lock, "--grant", "host=a"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Unknown grant "host" \(did you mean 'hosts'\?\)/);
  const mode = await runCli(["plugin", "pin", p.path, "--lock", lock, "--grant", `dirs=/in:${dir.path}:xx`]);
  assert.equal(mode.code, 2, mode.stdout);
  assert.match(mode.stderr, /--grant dirs must be \/guest:\/host\/path\[:rw\|ro\]/);
  await assert.rejects(Deno.stat(lock), Deno.errors.NotFound);
});

Deno.test("plugin pin: the lock is replaced atomically (no temporary file left behind)", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const lock = join(dir.path, "l.yaml");
  for (let i = 0; i < 2; i++) {
    const r = await runCli(["plugin", "pin", p.path, "--lock", lock]);
    assert.equal(r.code, 0, r.stderr);
  }
  const names = [];
  for await (const e of Deno.readDir(dir.path)) names.push(e.name);
  assert.deepEqual(names.sort(), ["l.yaml", "t_echo.wasm"]);
});

Deno.test("plugin verify: lock content problems name file:line:col, with did-you-mean for keys", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const lock = join(dir.path, "l.yaml");
  const CASES: [string, RegExp][] = [
    [
      `version: 1\nplugins:\n  - path: t_echo.wasm\n    sha256: ${p.sha256.toUpperCase()}\n`,
      /l\.yaml:4:13: plugins\.0\.sha256: must be 64 lowercase hex digits/,
    ],
    [
      `version: 1\nplugins:\n  - path: t_echo.wasm\n    sha256: ${p.sha256}\n    grants: {host: [a]}\n`,
      /l\.yaml:5:14: plugins\.0\.grants\.host: Unknown key "host" \(did you mean 'hosts'\?\)/,
    ],
    [`version: 1\nplugins:\n  - path: x\n   sha256: y\n`, /l\.yaml:4:1: /],
    [
      `version: 1\nplugins:\n  - path: t_echo.wasm\n    sha256: ${p.sha256}\n    grants:\n      dirs: {/in: {path: /tmp, mdoe: rw}}\n`,
      /l\.yaml:6:32: plugins\.0\.grants\.dirs\.\/in\.mdoe: Unknown key "mdoe" \(did you mean 'mode'\?\)/,
    ],
    [
      `version: 1\nplugins:\n  - path: t_echo.wasm\n    sha256: ${p.sha256}\n  - path: ${p.path}\n    sha256: ${p.sha256}\n`,
      /l\.yaml:5:11: plugins\.1\.path: .*t_echo\.wasm is already pinned by plugins\.0/,
    ],
  ];
  for (const [text, message] of CASES) {
    await Deno.writeTextFile(lock, text);
    const r = await runCli(["plugin", "verify", "--lock", lock]);
    assert.equal(r.code, 2, text);
    _clean(r);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});

Deno.test("plugin hash/new: a folder or a file where a folder is needed is a clean exit 2", async () => {
  await using dir = await tempDir();
  const hash = await runCli(["plugin", "hash", dir.path]);
  assert.equal(hash.code, 2);
  assert.match(hash.stderr, /Plugin path is a directory, not a \.wasm file/);
  const file = join(dir.path, "file.txt");
  await Deno.writeTextFile(file, "x");
  for (const target of [file, join(file, "sub")]) {
    const r = await runCli(["plugin", "new", "greeter", "--dir", target]);
    assert.equal(r.code, 2, r.stderr);
    _clean(r);
  }
});

Deno.test("plugin verify: two pins declaring the same step type fail as the run would (exit 2)", async () => {
  await using dir = await tempDir();
  const p = await writeTestPlugin("t_echo", dir.path);
  const copy = join(dir.path, "copy.wasm");
  await Deno.copyFile(p.path, copy);
  const lock = join(dir.path, "aetherflow.plugins.yaml");
  for (const wasm of [p.path, copy]) {
    const r = await runCli(["plugin", "pin", wasm, "--lock", lock]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await runCli(["plugin", "verify", "--lock", lock]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /FAIL .*copy\.wasm: Step type t_echo already registered by plugin:t_echo@1\.0\.0/);
  assert.match(r.stdout, /1 of 2 pins OK/);
});
