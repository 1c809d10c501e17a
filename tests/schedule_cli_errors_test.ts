// User mistakes with `schedule next|fire|validate`: bounded --count, a cron macro hint, --item checked like
// an item id.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

const _FILE = (cron: string) =>
  `timezone: UTC\nitems:\n  - id: a\n    cron: ${JSON.stringify(cron)}\n    flow_yaml: f.yaml\n`;

Deno.test("schedule next: --count is bounded (a typo must not hang the terminal)", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _FILE("0 0 * * *"));
  const res = await runCli(["schedule", "next", file, "--count", "100000000"]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /expected at most 10000/);
});

Deno.test("schedule validate: @daily gets the 5-field equivalent at file:line:col", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(file, _FILE("@daily"));
  const res = await runCli(["schedule", "validate", file]);
  assert.equal(res.code, 2);
  assert.match(
    res.stdout,
    /^- items\[0\]\.cron: .*@daily \(use the 5-field form "0 0 \* \* \*"\) \(.*s\.yaml:4:11\)$/m,
  );
});

Deno.test("schedule fire: an --item that cannot be a run id is refused before running (exit 2)", async () => {
  const res = await runCli([
    "schedule",
    "fire",
    "--item",
    "../x",
    "--cron",
    "* * * * *",
    "--tz",
    "UTC",
    "--",
    "run",
    "f.yaml",
  ]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /^Error: Invalid --item "\.\.\/x"/);
});

Deno.test("schedule fire: a --lock-dir that is a file is one clean line, exit 2", async () => {
  await using dir = await tempDir();
  const plain = join(dir.path, "plain");
  await Deno.writeTextFile(plain, "x");
  for (const lockDir of [plain, join(plain, "sub")]) {
    const res = await runCli([
      "schedule",
      "fire",
      "--item",
      "a",
      "--cron",
      "* * * * *",
      "--tz",
      "UTC",
      "--lock-dir",
      lockDir,
      "--",
      "run",
      join(dir.path, "missing.yaml"),
    ]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^Error: Cannot take the item lock in --lock-dir /);
    assert.doesNotMatch(res.stderr, /Internal error/);
  }
});

Deno.test("schedule validate: a directory instead of a file is invalid input (exit 2)", async () => {
  await using dir = await tempDir();
  const res = await runCli(["schedule", "validate", dir.path]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /^Error: Scheduler file is a directory: /);
});
