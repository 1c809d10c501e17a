import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSchedulerYaml, type ScheduleItem } from "./parse_scheduler_yaml.ts";
import { renderUnits, type UnitAccount, unitBaseName, type UnitOptions, UnitRenderError } from "./units.ts";
import { type PathPlan, planUnitPaths } from "./unit_paths.ts";
import { renderNotifyUnit } from "./notify_unit.ts";
import { SYSTEMD_SKIP_REASON, systemdAnalyze } from "./_systemd_test_util.ts";

const YAML = `
timezone: Europe/Berlin
items:
  - {id: every_5m, cron: "*/5 * * * *", flow_yaml: flows/a.yaml}
  - {id: nightly, cron: "30 3 * * *", flow_yaml: "flows/with space%.yaml", flow_job: extract, misfire_grace_time: 900, timeout: 2h}
  - {id: bundle.only, cron: "0 9-17/2 * * mon-fri", bundle_manifest: uc1/manifest.yaml, allow_stale_bundle: true}
  - {id: either-day, cron: "15 10 1,15 * 1", flow_yaml: f.yaml}
  - {id: month_end, cron: "0 23 1,L * *", flow_yaml: f.yaml}
  - {id: "odd id/x%n", cron: "0 0 * * 7", flow_yaml: f.yaml}
`;

const DYNAMIC: UnitAccount = { kind: "dynamic", name: "aetherflow" };

function _items(): readonly ScheduleItem[] {
  const report = parseSchedulerYaml(YAML, "s.yaml");
  assert.ok(report.config, JSON.stringify(report.errors));
  return report.config.items;
}

function _plan(): PathPlan {
  return planUnitPaths([
    { path: "/var/lib/aetherflow/state", access: "rw", why: "state" },
    { path: "/var/lib/aetherflow/work", access: "rw", why: "work" },
  ]);
}

function _options(extra: Partial<UnitOptions> = {}): UnitOptions {
  return {
    command: [Deno.execPath()],
    workdir: "/srv/etl",
    timezone: "Europe/Berlin",
    resolvePath: (p) => `/srv/etl/${p}`,
    account: DYNAMIC,
    paths: _plan(),
    ...extra,
  };
}

const _lines = (text: string) => text.split("\n");

Deno.test("renderUnits() writes a hardened service, a timer and a run-now service", () => {
  const nightly = _items()[1] as ScheduleItem;
  const u = renderUnits(nightly, _options({ persistent: true, randomizedDelaySec: 5, stopGraceS: 25 }));
  assert.equal(u.serviceName, "aetherflow-nightly.service");
  assert.equal(u.manualServiceName, "aetherflow-nightly-now.service");
  const lines = _lines(u.service);
  for (
    const want of [
      "Type=oneshot",
      "DynamicUser=yes",
      "User=aetherflow",
      "WorkingDirectory=/srv/etl",
      "TimeoutStartSec=7200",
      "KillMode=mixed",
      "TimeoutStopSec=35",
      "StateDirectory=aetherflow",
      "StateDirectoryMode=0700",
      "RuntimeDirectory=aetherflow",
      "RuntimeDirectoryMode=0700",
      "UMask=0077",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "PrivateDevices=yes",
      "ProtectKernelTunables=yes",
      "ProtectKernelModules=yes",
      "RestrictSUIDSGID=yes",
      "LockPersonality=yes",
      "RestrictNamespaces=yes",
      "SystemCallFilter=@system-service @pkey",
      "CapabilityBoundingSet=",
      "SyslogIdentifier=aetherflow-nightly",
    ]
  ) assert.ok(lines.includes(want), want);
  assert.ok(!u.service.includes("infinity"));
  assert.ok(!lines.some((l) => l.startsWith("ReadWritePaths=")), "everything is in StateDirectory=");
  const exec = lines.find((l) => l.startsWith("ExecStart=")) as string;
  assert.equal(
    exec,
    `ExecStart=${Deno.execPath()} schedule fire --item nightly --cron "30 3 * * *" --tz Europe/Berlin --grace 900 ` +
      `--lock-dir %t/aetherflow -- run --flow-yaml "/srv/etl/flows/with space%%.yaml" --flow-job extract`,
  );
  const now = _lines(u.manualService).find((l) => l.startsWith("ExecStart=")) as string;
  assert.equal(
    now,
    `ExecStart=${Deno.execPath()} schedule fire --now nightly --lock-dir %t/aetherflow -- run ` +
      `--flow-yaml "/srv/etl/flows/with space%%.yaml" --flow-job extract`,
  );
  const timer = _lines(u.timer);
  for (
    const want of [
      "OnCalendar=*-*-* 03:30:00 Europe/Berlin",
      "AccuracySec=1s",
      "RandomizedDelaySec=5",
      "Persistent=true",
      "Unit=aetherflow-nightly.service",
      "WantedBy=timers.target",
    ]
  ) assert.ok(timer.includes(want), want);
});

Deno.test("renderUnits() takes the CLI default timeout for items without one, never infinity", () => {
  const every = _items()[0] as ScheduleItem;
  assert.ok(renderUnits(every, _options()).service.includes("\nTimeoutStartSec=21600\n"));
  assert.ok(
    renderUnits(every, _options({ defaultTimeoutS: 600 })).service.includes("\nTimeoutStartSec=600\n"),
  );
});

Deno.test("renderUnits() accounts: static user, user units; ReadWritePaths for non-managed dirs", () => {
  const item = _items()[0] as ScheduleItem;
  const plan = planUnitPaths([{ path: "/srv/etl/state", access: "rw", why: "state" }]);
  const sys = renderUnits(item, _options({ account: { kind: "static", name: "etl" }, paths: plan }));
  assert.ok(sys.service.includes("\nUser=etl\n"));
  assert.ok(!sys.service.includes("DynamicUser"));
  assert.ok(sys.service.includes("\nReadWritePaths=/srv/etl/state\n"));
  const user = renderUnits(item, _options({ account: { kind: "user-manager" }, paths: plan }));
  assert.ok(!user.service.includes("User="));
  assert.ok(!user.service.includes("network-online"));
  assert.ok(!user.service.includes("ProtectHome"));
});

Deno.test("renderUnits() escapes % in every field and refuses values that would break a line", () => {
  const odd = _items()[5] as ScheduleItem;
  const u = renderUnits(
    odd,
    _options({
      workdir: "/srv/e%tl dir",
      environmentFile: "/etc/aether%flow/env",
      paths: planUnitPaths([{ path: "/srv/st%ate dir", access: "rw", why: "state" }]),
      account: { kind: "static", name: "etl" },
      onFailure: "aetherflow-notify@%n.service",
    }),
  );
  const lines = _lines(u.service);
  for (
    const want of [
      "Description=aetherflow scheduled item odd id/x%%n",
      "WorkingDirectory=/srv/e%%tl dir",
      "EnvironmentFile=/etc/aether%%flow/env",
      'ReadWritePaths="/srv/st%%ate dir"',
      "OnFailure=aetherflow-notify@%n.service",
    ]
  ) assert.ok(lines.includes(want), `${want}\n${u.service}`);
  assert.ok(_lines(u.timer).includes("Description=Timer for aetherflow scheduled item odd id/x%%n"));
  assert.ok(u.service.includes(`--item "odd id/x%%n"`));
  const item = _items()[0] as ScheduleItem;
  assert.throws(() => renderUnits(item, _options({ workdir: "/srv/x\\" })), UnitRenderError);
  assert.throws(
    () => renderUnits(item, _options({ workdir: "/srv/x\nExecStartPre=/bin/sh" })),
    UnitRenderError,
  );
  assert.throws(
    () => renderUnits(item, _options({ account: { kind: "static", name: "etl%n" } })),
    /User "etl%n"/,
  );
  assert.throws(() => renderNotifyUnit({ command: "echo a\necho b", account: DYNAMIC }), UnitRenderError);
});

Deno.test("planUnitPaths() maps state to managed dirs and refuses what the sandbox hides", () => {
  const plan = planUnitPaths([
    { path: "/var/lib/aetherflow/state", access: "rw", why: "state DB of item a" },
    { path: "/var/cache/etl/work", access: "rw", why: "workspace root of item a" },
    { path: "/srv/data/out", access: "rw", why: "x" },
    { path: "/srv/data", access: "rw", why: "y" },
    { path: "/tmp/state", access: "rw", why: "state DB of item b" },
    { path: "/home/me/flows/f.yaml", access: "ro", why: "flow file of item b" },
    { path: "/srv/flows/f.yaml", access: "ro", why: "flow file of item c" },
  ]);
  assert.deepEqual(plan.stateDirectories, ["aetherflow"]);
  assert.deepEqual(plan.cacheDirectories, ["etl"]);
  assert.deepEqual(plan.readWritePaths, ["/srv/data"]);
  assert.equal(plan.dynamicUserOk, false);
  assert.equal(plan.problems.length, 2);
  assert.match(plan.problems[0] ?? "", /^state DB of item b \/tmp\/state is under \/tmp: .*PrivateTmp=yes/);
  assert.match(
    plan.problems[1] ?? "",
    /^flow file of item b \/home\/me\/flows\/f.yaml is under \/home.*ProtectHome/,
  );
  const user = planUnitPaths([{ path: "/home/me/state", access: "rw", why: "s" }], { userUnits: true });
  assert.deepEqual(user.problems, []);
  assert.deepEqual(user.readWritePaths, ["/home/me/state"]);
});

Deno.test("unitBaseName() escapes characters systemd would not accept", () => {
  assert.equal(unitBaseName("nightly"), "aetherflow-nightly");
  assert.equal(unitBaseName("a.b-c:d_e"), "aetherflow-a.b-c:d_e");
  assert.equal(unitBaseName("odd id/x"), "aetherflow-odd\\x20id\\x2fx");
  assert.equal(unitBaseName(".hidden"), "aetherflow-\\x2ehidden");
});

/** Write `files` into a fresh dir and return it. */
async function _write(dir: string, files: Record<string, string>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
}

Deno.test({
  name: "every generated unit passes systemd-analyze verify (system and user units, notify template)",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "af-units-" });
    try {
      for (const item of _items()) {
        for (const variant of ["system", "user"] as const) {
          await t.step(`${item.id} (${variant})`, async () => {
            const account: UnitAccount = variant === "user" ? { kind: "user-manager" } : DYNAMIC;
            const notify = renderNotifyUnit({
              command: 'logger -t x "$AETHERFLOW_FAILED_UNIT" 100%',
              account,
            });
            const u = renderUnits(
              item,
              _options({
                account,
                workdir: dir,
                persistent: true,
                onFailure: "aetherflow-notify@%n.service",
              }),
            );
            const sub = join(dir, variant);
            await _write(sub, {
              [u.serviceName]: u.service,
              [u.timerName]: u.timer,
              [u.manualServiceName]: u.manualService,
              "aetherflow-notify@.service": notify,
            });
            const args = [
              "verify",
              ...(variant === "user" ? ["--user"] : []),
              u.timerName,
              u.serviceName,
              u.manualServiceName,
              "aetherflow-notify@x.service",
            ];
            // A user manager needs a runtime dir (none in a container without a login session).
            const res = systemdAnalyze(args, sub, variant === "user" ? { XDG_RUNTIME_DIR: dir } : {});
            assert.ok(res);
            assert.equal(res.code, 0, res.stderr);
            assert.equal(res.stderr.trim(), "", res.stderr);
          });
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** `→ Overall exposure level for x.service: 1.9 OK 🙂` -> 1.9 */
function _exposure(stdout: string): number {
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(stdout);
  assert.ok(m, stdout);
  return Number(m[1]);
}

Deno.test({
  name: "systemd-analyze security --offline rates the default units at most 3.5 (OK)",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "af-units-" });
    try {
      const u = renderUnits(_items()[0] as ScheduleItem, _options({ workdir: dir }));
      const notify = renderNotifyUnit({ command: "true", account: DYNAMIC });
      await _write(dir, {
        [u.serviceName]: u.service,
        [u.manualServiceName]: u.manualService,
        "aetherflow-notify@.service": notify,
      });
      for (const name of [u.serviceName, u.manualServiceName, "aetherflow-notify@x.service"]) {
        const res = systemdAnalyze(["security", "--offline=yes", "--no-pager", name], dir);
        assert.ok(res);
        const score = _exposure(res.stdout);
        assert.ok(score <= 3.5, `${name}: exposure ${score}\n${res.stdout}`);
      }
      // The check is real: the same unit without its hardening scores far worse.
      const bare = u.service.split("\n").filter((l) =>
        !/^(Protect|Private|Restrict|System|Capability|Ambient|NoNew|Lock|UMask|RemoveIPC|Keyring|DynamicUser|User=)/
          .test(l)
      ).join("\n");
      await _write(dir, { "bare.service": bare });
      const res = systemdAnalyze(["security", "--offline=yes", "--no-pager", "bare.service"], dir);
      assert.ok(res && _exposure(res.stdout) > 8, res?.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "systemd-analyze verify rejects a unit whose binary does not exist (the check is real)",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "af-units-" });
    try {
      const u = renderUnits(
        _items()[0] as ScheduleItem,
        _options({ command: ["/nonexistent/aetherflow"], workdir: dir }),
      );
      await _write(dir, { [u.serviceName]: u.service, [u.timerName]: u.timer });
      const res = systemdAnalyze(["verify", u.timerName, u.serviceName], dir);
      assert.notEqual(res?.code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
