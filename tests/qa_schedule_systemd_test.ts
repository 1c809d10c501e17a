// QA regressions: `schedule systemd` never writes a unit that a value could break or inject into, never
// half-writes the units directory, and reports a bad --out as one clean line.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

const _ITEM = (id: string) =>
  `timezone: UTC\nitems:\n  - id: ${JSON.stringify(id)}\n    cron: "0 0 * * *"\n    flow_yaml: f.yaml\n`;

function _clean(res: { code: number; stderr: string }): void {
  assert.doesNotMatch(res.stderr, /Internal error|^\s+at /m, res.stderr);
}

Deno.test("schedule validate/systemd: a newline in an item id is refused, not injected into the unit", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("a\nExecStartPre=/bin/touch /tmp/pwned"));
  const val = await runCli(["schedule", "validate", file]);
  assert.equal(val.code, 2);
  assert.match(val.stdout, /s\.yaml:3:9 items\[0\]\.id: scheduler:invalid_id - .*control character/);
  const out = join(dir.path, "units");
  const res = await runCli(["schedule", "systemd", file, "--out", out]);
  assert.equal(res.code, 2);
  _clean(res);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("schedule validate: an item id whose run id has a '..' segment fails validation, not every fire", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("../x"));
  const res = await runCli(["schedule", "validate", file]);
  assert.equal(res.code, 2);
  assert.match(res.stdout, /scheduler:invalid_id/);
});

Deno.test("schedule systemd: a control character in an option value writes nothing (exit 2)", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("ok"));
  const out = join(dir.path, "units");
  const res = await runCli([
    "schedule",
    "systemd",
    file,
    "--out",
    out,
    "--timeout-start-sec",
    "1h\nExecStartPre=/bin/true",
  ]);
  assert.equal(res.code, 2, res.stderr);
  _clean(res);
  assert.match(res.stderr, /TimeoutStartSec .* contains a control character/);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("schedule systemd: --out that is a file or under a file is one clean line, exit 2", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("ok"));
  const plain = join(dir.path, "plain");
  await Deno.writeTextFile(plain, "x");
  for (const out of [plain, join(plain, "sub")]) {
    const res = await runCli(["schedule", "systemd", file, "--out", out]);
    assert.equal(res.code, 2, res.stderr);
    _clean(res);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /^Error: .*--out/);
  }
  assert.equal(await Deno.readTextFile(plain), "x");
});

Deno.test("schedule systemd: units are renamed into place, no temporary file is left", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("with space"));
  const out = join(dir.path, "units");
  const res = await runCli(["schedule", "systemd", file, "--out", out]);
  assert.equal(res.code, 0, res.stderr);
  const names = [];
  for await (const e of Deno.readDir(out)) names.push(e.name);
  assert.deepEqual(names.sort(), ["aetherflow-with\\x20space.service", "aetherflow-with\\x20space.timer"]);
});

Deno.test("schedule systemd: --user with --run-as is refused instead of silently dropping User=", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("ok"));
  const out = join(dir.path, "units");
  const res = await runCli(["schedule", "systemd", file, "--out", out, "--user", "--run-as", "bob"]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /^Error: --run-as sets User= of system units/);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});
