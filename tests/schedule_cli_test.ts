// `aetherflow schedule validate|next|systemd|fire` through the real CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runCli, tempDir } from "./_helpers.ts";

/** `systemd-analyze verify` in `cwd`; null when the host has no systemd-analyze (the check is then skipped). */
function _verify(units: string[], cwd: string): { code: number; stderr: string } | null {
  try {
    const out = new Deno.Command("systemd-analyze", { args: ["verify", ...units], cwd }).outputSync();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

const VALID = join(ROOT, "testdata/scheduler/valid.yaml");
const INVALID = join(ROOT, "testdata/scheduler/invalid.yaml");

Deno.test("schedule validate: OK exits 0, every problem with line:col exits 2", async () => {
  const ok = await runCli(["schedule", "validate", VALID]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), `OK: ${VALID}`);
  const bad = await runCli(["schedule", "validate", INVALID]);
  assert.equal(bad.code, 2);
  const lines = bad.stdout.trim().split("\n");
  assert.equal(lines[0], `INVALID: ${INVALID}`);
  assert.ok(
    lines.includes(
      `- ${INVALID}:3:1 tz: schema:extra_forbidden - Extra inputs are not permitted (did you mean 'timezone'?)`,
    ),
  );
  assert.ok(
    lines.includes(
      `- ${INVALID}:2:11 timezone: scheduler:unknown_timezone - Unknown time zone: Mars/Olympus`,
    ),
  );
  assert.ok(lines.some((l) => l.startsWith("! ") && l.includes("scheduler:numeric_dow")));
  assert.equal(lines.filter((l) => l.startsWith("- ")).length, 10);
});

Deno.test("schedule validate --json prints one line", async () => {
  const res = await runCli(["schedule", "validate", "--json", INVALID]);
  assert.equal(res.code, 2);
  const report = JSON.parse(res.stdout);
  assert.deepEqual(Object.keys(report), ["ok", "errors", "warnings", "scheduler_yaml"]);
  assert.equal(report.errors[0].line, 2);
});

Deno.test("schedule validate: a missing file is invalid input (exit 2)", async () => {
  const res = await runCli(["schedule", "validate", "/nonexistent/scheduler.yaml"]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /Scheduler file not found: \/nonexistent\/scheduler.yaml/);
});

Deno.test("schedule next: Europe/Berlin across both 2025 DST changes (B.8)", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(
    file,
    "timezone: Europe/Berlin\nitems:\n  - {id: nightly, cron: '30 2 * * *', flow_yaml: f.yaml}\n",
  );
  const spring = await runCli(["schedule", "next", file, "--count", "2", "--from", "2025-03-29T12:00:00Z"]);
  assert.equal(spring.code, 0, spring.stderr);
  assert.deepEqual(spring.stdout.trim().split("\n"), [
    "nightly  30 2 * * *  (Europe/Berlin)",
    "  2025-03-30 03:00:00+02:00  2025-03-30T01:00:00Z",
    "  2025-03-31 02:30:00+02:00  2025-03-31T00:30:00Z",
  ]);
  const autumn = await runCli([
    "schedule",
    "next",
    file,
    "--count",
    "2",
    "--from",
    "2025-10-25T12:00:00Z",
    "--json",
  ]);
  assert.deepEqual(JSON.parse(autumn.stdout).items[0].next, [
    { local: "2025-10-26 02:30:00+02:00", utc: "2025-10-26T00:30:00Z" },
    { local: "2025-10-27 02:30:00+01:00", utc: "2025-10-27T01:30:00Z" },
  ]);
});

Deno.test("schedule systemd: one verified unit pair per item; invalid input writes nothing", async () => {
  await using dir = await tempDir();
  const out = join(dir.path, "units");
  const res = await runCli(
    [
      "schedule",
      "systemd",
      VALID,
      "--out",
      out,
      "--binary",
      "/bin/true",
      "--read-write-path",
      join(dir.path, "state"),
    ],
    { cwd: dir.path },
  );
  assert.equal(res.code, 0, res.stderr);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "aetherflow-bundle_only.service",
    "aetherflow-bundle_only.timer",
    "aetherflow-demo_every_5m.service",
    "aetherflow-demo_every_5m.timer",
    "aetherflow-nightly.service",
    "aetherflow-nightly.timer",
  ]);
  const service = await Deno.readTextFile(join(out, "aetherflow-bundle_only.service"));
  assert.match(
    service,
    new RegExp(
      `ExecStart=/bin/true schedule fire --item bundle_only --cron "0 9-17/2 \\* \\* mon-fri" --tz Europe/Berlin ` +
        `--grace 300 --lock-dir %t/aetherflow -- run --bundle-manifest ${dir.path}/uc1/manifest_local.yaml --allow-stale-bundle`,
    ),
  );
  for (const base of ["aetherflow-bundle_only", "aetherflow-demo_every_5m", "aetherflow-nightly"]) {
    const v = _verify([`${base}.timer`, `${base}.service`], out);
    if (v === null) {
      console.warn("systemd-analyze not found on PATH: unit verification skipped");
      break;
    }
    assert.equal(v.code, 0, v.stderr);
  }
  const bad = await runCli(["schedule", "systemd", INVALID, "--out", join(dir.path, "bad")], {
    cwd: dir.path,
  });
  assert.equal(bad.code, 2);
  assert.equal(await Deno.stat(join(dir.path, "bad")).then(() => true, () => false), false);
});

Deno.test("schedule fire: runs `run … --run-id <item>-<slot>` and passes its exit code through", async () => {
  await using dir = await tempDir();
  const env = {
    AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify(["/bin/sh", "-c", 'echo "$*" > argv.txt; exit 3', "sh"]),
  };
  const res = await runCli(
    [
      "schedule",
      "fire",
      "--item",
      "it",
      "--cron",
      "* * * * *",
      "--tz",
      "UTC",
      "--grace",
      "300",
      "--lock-dir",
      dir.path,
      "--",
      "run",
      "--flow-yaml",
      "/x/f.yaml",
    ],
    { cwd: dir.path, env },
  );
  assert.equal(res.code, 1, res.stderr); // child rc 3 -> runtime failure
  const argv = (await Deno.readTextFile(join(dir.path, "argv.txt"))).trim();
  assert.match(argv, /^run --flow-yaml \/x\/f.yaml --run-id it-\d{8}T\d{4}Z$/);
  assert.match(res.stderr, /ERROR aetherflow.scheduler - Run it-\d{8}T\d{4}Z of item it finished rc=3/);
});
