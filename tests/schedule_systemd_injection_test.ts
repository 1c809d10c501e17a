// `schedule systemd` never writes a unit that a value could break or inject into, never
// half-writes the units directory, and reports a bad --out as one clean line.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, SERVER_DIR_SKIP_REASON, serverDir, tempDir } from "./_helpers.ts";

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
  assert.match(val.stdout, /items\[0\]\.id: scheduler:invalid_id - .*control character.* \(.*s\.yaml:3:9\)/);
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
  assert.match(res.stderr, /--timeout-start-sec[^]*is invalid/);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("schedule systemd: TimeoutStartSec=infinity is refused (a hung run would block the item)", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("ok"));
  const res = await runCli([
    "schedule",
    "systemd",
    file,
    "--out",
    join(dir.path, "u"),
    "--timeout-start-sec",
    "infinity",
  ]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /must be finite/);
});

Deno.test("schedule systemd: --out that is a file or under a file is one clean line, exit 2", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _ITEM("ok"));
  const plain = join(dir.path, "plain");
  await Deno.writeTextFile(plain, "x");
  for (const out of [plain, join(plain, "sub")]) {
    const res = await runCli(["schedule", "systemd", file, "--out", out, "--binary", "/bin/true"]);
    assert.equal(res.code, 2, res.stderr);
    _clean(res);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /^Error: .*--out/);
  }
  assert.equal(await Deno.readTextFile(plain), "x");
});

Deno.test({
  name:
    "schedule systemd: units are renamed into place, no temporary file is left; % and newlines are escaped",
  ignore: SERVER_DIR_SKIP_REASON !== null,
  fn: async () => {
    await using dir = (await serverDir())!;
    await Deno.writeTextFile(
      join(dir.path, "f.yaml"),
      "flow:\n  id: f\n  state: {path: /var/lib/aetherflow/s.sqlite}\n  workspace: {root: /var/lib/aetherflow/w}\n" +
        "jobs:\n  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: []}}\n",
    );
    const file = join(dir.path, "s.yaml");
    await Deno.writeTextFile(file, _ITEM("with space%n"));
    const out = join(dir.path, "units");
    const notify = ["--notify-command", "logger 'run\nExecStartPre=/bin/touch /tmp/pwned'"];
    const bad = await runCli(
      ["schedule", "systemd", file, "--out", out, "--binary", "/bin/true", ...notify],
      {
        cwd: dir.path,
      },
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /Invalid --notify-command: the command must be one non-empty line/);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    const res = await runCli(["schedule", "systemd", file, "--out", out, "--binary", "/bin/true"], {
      cwd: dir.path,
    });
    assert.equal(res.code, 0, res.stderr);
    const names = [];
    for await (const e of Deno.readDir(out)) names.push(e.name);
    assert.deepEqual(names.sort(), [
      "aetherflow-with\\x20space\\x25n-now.service",
      "aetherflow-with\\x20space\\x25n.service",
      "aetherflow-with\\x20space\\x25n.timer",
    ]);
    const service = await Deno.readTextFile(join(out, "aetherflow-with\\x20space\\x25n.service"));
    assert.match(service, /^Description=aetherflow scheduled item with space%%n$/m);
    assert.match(service, /--item "with space%%n"/);
  },
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
