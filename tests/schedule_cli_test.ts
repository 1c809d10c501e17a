// `aetherflow schedule validate|next|systemd|fire` through the real CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyDir, ROOT, runCli, SERVER_DIR_SKIP_REASON, serverDir, tempDir } from "./_helpers.ts";
import { tryItemLock } from "../engine/scheduler/effects.ts";

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
  assert.equal(ok.stdout.trim().split("\n")[0], `OK: ${VALID}`);
  // 30 2 * * * in Europe/Berlin: the DST gap and repeat, in this product's words.
  assert.match(
    ok.stdout,
    /^! items\[1\]\.cron: scheduler:dst_gap - 02:30 does not exist in Europe\/Berlin on \d{4}-03-\d\d .*\(.*valid\.yaml:9:11\)$/m,
  );
  assert.match(ok.stdout, /^! items\[1\]\.cron: scheduler:dst_repeat - 02:30 happens twice/m);
  assert.doesNotMatch(ok.stdout, /Python/);
  const bad = await runCli(["schedule", "validate", INVALID]);
  assert.equal(bad.code, 2);
  const lines = bad.stdout.trim().split("\n");
  assert.equal(lines[0], `INVALID: ${INVALID}`);
  assert.ok(
    lines.includes(
      `- tz: schema:extra_forbidden - Extra inputs are not permitted (did you mean 'timezone'?) (${INVALID}:3:1)`,
    ),
  );
  assert.ok(
    lines.includes(
      `- timezone: scheduler:unknown_timezone - Unknown time zone: Mars/Olympus (${INVALID}:2:11)`,
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
  const doc = JSON.parse(autumn.stdout);
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.items[0].next, [
    {
      local: "2025-10-26 02:30:00+02:00",
      utc: "2025-10-26T00:30:00.000Z",
      utc_ms: Date.UTC(2025, 9, 26, 0, 30),
    },
    {
      local: "2025-10-27 02:30:00+01:00",
      utc: "2025-10-27T01:30:00.000Z",
      utc_ms: Date.UTC(2025, 9, 27, 1, 30),
    },
  ]);
});

Deno.test({
  name:
    "schedule systemd: verified units per item, a run-now unit, the notify template; invalid input writes nothing",
  ignore: SERVER_DIR_SKIP_REASON !== null,
  fn: async () => {
    await using dir = (await serverDir())!;
    await copyDir(join(ROOT, "testdata/scheduler"), dir.path);
    const out = join(dir.path, "units");
    const res = await runCli(
      [
        "schedule",
        "systemd",
        join(dir.path, "valid.yaml"),
        "--out",
        out,
        "--binary",
        "/bin/true",
        "--bundle-work-root",
        "/var/lib/aetherflow/bundles",
        "--notify-command",
        'curl -fsS -d "$AETHERFLOW_FAILED_UNIT failed on $AETHERFLOW_HOST" https://hooks.example.com/x',
      ],
      { cwd: dir.path },
    );
    assert.equal(res.code, 0, res.stderr);
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "aetherflow-bundle_only-now.service",
      "aetherflow-bundle_only.service",
      "aetherflow-bundle_only.timer",
      "aetherflow-demo_every_5m-now.service",
      "aetherflow-demo_every_5m.service",
      "aetherflow-demo_every_5m.timer",
      "aetherflow-nightly-now.service",
      "aetherflow-nightly.service",
      "aetherflow-nightly.timer",
      "aetherflow-notify@.service",
    ]);
    const bundle = await Deno.readTextFile(join(out, "aetherflow-bundle_only.service"));
    assert.ok(
      bundle.includes(
        `ExecStart=/bin/true schedule fire --item bundle_only --cron "0 9-17/2 * * mon-fri" --tz Europe/Berlin ` +
          `--grace 300 --lock-dir %t/aetherflow -- run --bundle-manifest ${dir.path}/uc1/manifest_local.yaml ` +
          "--allow-stale-bundle\n",
      ),
      bundle,
    );
    const nightly = await Deno.readTextFile(join(out, "aetherflow-nightly.service"));
    for (
      const want of [
        "DynamicUser=yes",
        "StateDirectory=aetherflow",
        "TimeoutStartSec=5400",
        "KillMode=mixed",
        "OnFailure=aetherflow-notify@%n.service",
      ]
    ) assert.ok(nightly.split("\n").includes(want), want);
    for (const base of ["aetherflow-bundle_only", "aetherflow-demo_every_5m", "aetherflow-nightly"]) {
      const v = _verify([`${base}.timer`, `${base}.service`, `${base}-now.service`], out);
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
  },
});

Deno.test("schedule systemd: a flow whose state is under /tmp is refused (PrivateTmp), nothing written", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "f.yaml"),
    "flow:\n  id: f\njobs:\n  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: []}}\n",
  );
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(
    file,
    "timezone: UTC\nitems:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml}\n",
  );
  const out = join(dir.path, "units");
  const res = await runCli(["schedule", "systemd", file, "--out", out, "--binary", "/usr/bin/true"], {
    cwd: dir.path,
  });
  assert.equal(res.code, 2, res.stderr);
  // The flow sets no state.path: the default is under the unit's private /tmp, lost after every run.
  assert.match(
    res.stderr,
    /^- items\[0\]: scheduler:unreachable_path - state DB of item a \/tmp\/state is under \/tmp: the unit runs with PrivateTmp=yes.* \(.*s\.yaml:3:5\)$/m,
  );
  assert.match(res.stderr, /workspace root of item a \/tmp\/work is under \/tmp/);
  assert.match(res.stderr, /^Error: Cannot write units for .*: \d+ problem\(s\) above \(nothing written\)$/m);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
});

Deno.test({
  name: "schedule systemd: state outside managed dirs needs --run-as (no DynamicUser), then ReadWritePaths",
  ignore: SERVER_DIR_SKIP_REASON !== null,
  fn: async () => {
    // Not under /var/lib: a directory systemd does not manage, as an admin's /srv/etl would be.
    await using dir = (await serverDir("af-srv-", "/srv"))!;
    await Deno.writeTextFile(
      join(dir.path, "f.yaml"),
      `flow:\n  id: f\n  state: {path: ${dir.path}/state/f.sqlite}\n  workspace: {root: ${dir.path}/work}\n` +
        "jobs:\n  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: []}}\n",
    );
    const file = join(dir.path, "s.yaml");
    await Deno.writeTextFile(
      file,
      "timezone: UTC\nitems:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml}\n",
    );
    const args = ["schedule", "systemd", file, "--out", join(dir.path, "u"), "--binary", "/usr/bin/true"];
    const dyn = await runCli(args, { cwd: dir.path });
    assert.equal(dyn.code, 2, dyn.stderr);
    assert.match(
      dyn.stderr,
      /scheduler:needs_account - item a writes .*\/state, .*\/work, outside \/var\/lib/,
    );
    const etl = await runCli([...args, "--run-as", "etl"], { cwd: dir.path });
    assert.equal(etl.code, 0, etl.stderr);
    assert.match(etl.stdout, new RegExp(`^prepare: install -d -m 0700 -o etl ${dir.path}/state$`, "m"));
    const service = await Deno.readTextFile(join(dir.path, "u", "aetherflow-a.service"));
    assert.match(service, new RegExp(`^ReadWritePaths=${dir.path}/state ${dir.path}/work$`, "m"));
    assert.match(service, /^User=etl$/m);
    assert.doesNotMatch(service, /DynamicUser/);
  },
});

Deno.test("schedule validate: each item's flow must exist and validate with the item's environment", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "f.yaml"),
    "flow:\n  id: f\njobs:\n  - id: a\n    steps:\n      - id: s\n        type: external.process\n" +
      "        inputs: {command: [echo, '{{ env.REGION }}']}\n",
  );
  await Deno.writeTextFile(join(dir.path, "unit.env"), '# as in EnvironmentFile=\nREGION="eu-1"\n');
  const file = join(dir.path, "s.yaml");
  await Deno.writeTextFile(
    file,
    [
      "timezone: UTC",
      "paths_relative_to: file",
      "items:",
      "  - {id: ok, cron: '0 4 * * *', flow_yaml: f.yaml}",
      "  - {id: gone, cron: '0 4 * * *', flow_yaml: missing.yaml}",
      "  - {id: job, cron: '0 4 * * *', flow_yaml: f.yaml, flow_job: nope}",
      "",
    ].join("\n"),
  );
  const plain = await runCli(["schedule", "validate", file]);
  assert.equal(plain.code, 2, plain.stderr);
  const lines = plain.stdout.trim().split("\n");
  assert.equal(lines[0], `INVALID: ${file}`);
  // The flow's own issue, at the flow's position, under the item that uses it: REGION is not in this env.
  const missingEnv =
    /^! items\[0\]\.flow_yaml > jobs\[0\]\.steps\[0\]\.inputs\.command\[1\]: semantic:missing_env - Missing env env\.REGION \(.*f\.yaml:8:\d+\)$/m;
  assert.match(plain.stdout, missingEnv);
  assert.ok(
    lines.includes(
      `- items[1].flow_yaml: scheduler:flow_not_found - Flow file not found: ${dir.path}/missing.yaml (${file}:5:46)`,
    ),
    plain.stdout,
  );
  assert.ok(
    lines.some((l) => l.startsWith("- items[2].flow_job: scheduler:unknown_job - Unknown job 'nope'")),
    plain.stdout,
  );
  // With the unit's EnvironmentFile, REGION is set: the item's flow validates cleanly.
  const withEnv = await runCli([
    "schedule",
    "validate",
    file,
    "--environment-file",
    join(dir.path, "unit.env"),
  ]);
  assert.equal(withEnv.code, 2);
  assert.doesNotMatch(withEnv.stdout, missingEnv);
  assert.ok(withEnv.stdout.includes("items[1].flow_yaml"), withEnv.stdout);
});

Deno.test("schedule validate: canonical IANA zone names only, with the canonical spelling suggested", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "s.yaml");
  for (
    const [zone, want] of [
      ["europe/berlin", "Time zone europe/berlin is not spelled canonically (did you mean 'Europe/Berlin'?)"],
      ["+01:00", "Unknown time zone: +01:00 (use an IANA zone name"],
      ["Europe/Berln", "Unknown time zone: Europe/Berln (did you mean 'Europe/Berlin'?)"],
    ]
  ) {
    await Deno.writeTextFile(file, `timezone: ${JSON.stringify(zone)}\nitems: []\n`);
    const res = await runCli(["schedule", "validate", file]);
    assert.equal(res.code, 2, zone);
    assert.ok(res.stdout.includes(`- timezone: scheduler:unknown_timezone - ${want}`), res.stdout);
  }
  await Deno.writeTextFile(file, "timezone: Etc/UTC\nitems: []\n");
  assert.equal((await runCli(["schedule", "validate", file])).code, 0);
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

Deno.test("schedule fire: a manual start outside the grace window runs nothing and exits 75; a timer start exits 0", async () => {
  await using dir = await tempDir();
  const env = {
    AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify(["/bin/sh", "-c", 'echo "$*" >> argv.txt', "sh"]),
  };
  // 1 January 00:00 UTC, grace 1 s: always outside the window (except for one second a year).
  const args = ["schedule", "fire", "--item", "yearly", "--cron", "0 0 1 1 *", "--tz", "UTC", "--grace", "1"];
  const tail = ["--lock-dir", dir.path, "--", "run", "--flow-yaml", "/x/f.yaml"];
  const manual = await runCli([...args, ...tail], { cwd: dir.path, env });
  assert.equal(manual.code, 75, manual.stderr);
  assert.match(
    manual.stderr,
    /ERROR aetherflow\.scheduler - Manual start of item yearly ran nothing: its latest scheduled time .* outside its grace of 1s\. To run it now: systemctl start aetherflow-yearly-now\.service/,
  );
  const timer = await runCli([...args, ...tail], {
    cwd: dir.path,
    env: { ...env, TRIGGER_UNIT: "aetherflow-yearly.timer" },
  });
  assert.equal(timer.code, 0, timer.stderr);
  assert.match(timer.stderr, /WARNING aetherflow\.scheduler - Run time of item yearly was missed by/);
  await assert.rejects(Deno.stat(join(dir.path, "argv.txt")), Deno.errors.NotFound);
});

Deno.test("schedule fire --now: runs at once with a manual run id; refused (75) while the item runs", async () => {
  await using dir = await tempDir();
  const env = {
    AETHERFLOW_SCHEDULER_SELF_CMD: JSON.stringify(["/bin/sh", "-c", 'echo "$*" >> argv.txt', "sh"]),
  };
  const args = [
    "schedule",
    "fire",
    "--now",
    "nightly",
    "--lock-dir",
    dir.path,
    "--",
    "run",
    "--flow-yaml",
    "/x/f.yaml",
  ];
  const res = await runCli(args, { cwd: dir.path, env });
  assert.equal(res.code, 0, res.stderr);
  const argv = (await Deno.readTextFile(join(dir.path, "argv.txt"))).trim();
  assert.match(argv, /^run --flow-yaml \/x\/f.yaml --run-id nightly-manual-\d{8}T\d{6}Z$/);
  const held = await tryItemLock(dir.path, "nightly");
  assert.ok(held);
  try {
    const busy = await runCli(args, { cwd: dir.path, env });
    assert.equal(busy.code, 75, busy.stderr);
    assert.match(busy.stderr, /Item nightly not started: a run of it is still going on/);
  } finally {
    held.release();
  }
  assert.equal((await Deno.readTextFile(join(dir.path, "argv.txt"))).trim().split("\n").length, 1);
});
