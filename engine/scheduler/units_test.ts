import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSchedulerYaml, type ScheduleItem } from "./schema.ts";
import { renderUnits, unitBaseName, type UnitOptions } from "./units.ts";
import { SYSTEMD_SKIP_REASON, systemdAnalyze } from "./_systemd_test_util.ts";

const YAML = `
timezone: Europe/Berlin
items:
  - {id: every_5m, cron: "*/5 * * * *", flow_yaml: flows/a.yaml}
  - {id: nightly, cron: "30 2 * * *", flow_yaml: "flows/with space%.yaml", flow_job: extract, misfire_grace_time: 900}
  - {id: bundle.only, cron: "0 9-17/2 * * mon-fri", bundle_manifest: uc1/manifest.yaml, allow_stale_bundle: true}
  - {id: either-day, cron: "15 10 1,15 * 1", flow_yaml: f.yaml}
  - {id: month_end, cron: "0 23 1,L * *", flow_yaml: f.yaml}
  - {id: "odd id/x", cron: "0 0 * * 7", flow_yaml: f.yaml}
`;

function _items(): readonly ScheduleItem[] {
  const report = parseSchedulerYaml(YAML, "s.yaml");
  assert.ok(report.config, JSON.stringify(report.errors));
  return report.config.items;
}

function _options(extra: Partial<UnitOptions> = {}): UnitOptions {
  return {
    command: [Deno.execPath()],
    workdir: "/srv/etl",
    timezone: "Europe/Berlin",
    resolvePath: (p) => `/srv/etl/${p}`,
    readWritePaths: ["/var/lib/aetherflow"],
    ...extra,
  };
}

Deno.test("renderUnits() writes the B.10 service and timer", () => {
  const nightly = _items()[1] as ScheduleItem;
  const u = renderUnits(
    nightly,
    _options({ persistent: true, randomizedDelaySec: 5, timeoutStartSec: "2h" }),
  );
  assert.equal(u.serviceName, "aetherflow-nightly.service");
  const lines = u.service.split("\n");
  for (
    const want of [
      "Type=oneshot",
      "WorkingDirectory=/srv/etl",
      "TimeoutStartSec=2h",
      "NoNewPrivileges=yes",
      "PrivateTmp=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/srv/etl -/var/lib/aetherflow",
      "SyslogIdentifier=aetherflow-nightly",
      "KillMode=control-group",
    ]
  ) assert.ok(lines.includes(want), want);
  const exec = lines.find((l) => l.startsWith("ExecStart=")) as string;
  assert.equal(
    exec,
    `ExecStart=${Deno.execPath()} schedule fire --item nightly --cron "30 2 * * *" --tz Europe/Berlin --grace 900 ` +
      `--lock-dir %t/aetherflow -- run --flow-yaml "/srv/etl/flows/with space%%.yaml" --flow-job extract`,
  );
  const timer = u.timer.split("\n");
  for (
    const want of [
      "OnCalendar=*-*-* 02:30:00 Europe/Berlin",
      "AccuracySec=1s",
      "RandomizedDelaySec=5",
      "Persistent=true",
      "Unit=aetherflow-nightly.service",
      "WantedBy=timers.target",
    ]
  ) assert.ok(timer.includes(want), want);
});

Deno.test("renderUnits() user units drop User= and the network-online dependency", () => {
  const u = renderUnits(_items()[0] as ScheduleItem, _options({ user: true, runAs: "etl" }));
  assert.ok(!u.service.includes("User="));
  assert.ok(!u.service.includes("network-online"));
  const sys = renderUnits(_items()[0] as ScheduleItem, _options({ runAs: "etl" }));
  assert.ok(sys.service.includes("\nUser=etl\n"));
});

Deno.test("unitBaseName() escapes characters systemd would not accept", () => {
  assert.equal(unitBaseName("nightly"), "aetherflow-nightly");
  assert.equal(unitBaseName("a.b-c:d_e"), "aetherflow-a.b-c:d_e");
  assert.equal(unitBaseName("odd id/x"), "aetherflow-odd\\x20id\\x2fx");
  assert.equal(unitBaseName(".hidden"), "aetherflow-\\x2ehidden");
});

Deno.test({
  name: "every generated unit pair passes systemd-analyze verify",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "af-units-" });
    try {
      for (const item of _items()) {
        for (const variant of ["system", "user"] as const) {
          await t.step(`${item.id} (${variant})`, async () => {
            const u = renderUnits(
              item,
              _options({ user: variant === "user", workdir: dir, persistent: true }),
            );
            const sub = join(dir, variant);
            await Deno.mkdir(sub, { recursive: true });
            await Deno.writeTextFile(join(sub, u.serviceName), u.service);
            await Deno.writeTextFile(join(sub, u.timerName), u.timer);
            const args = ["verify", ...(variant === "user" ? ["--user"] : []), u.timerName, u.serviceName];
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
      await Deno.writeTextFile(join(dir, u.serviceName), u.service);
      await Deno.writeTextFile(join(dir, u.timerName), u.timer);
      const res = systemdAnalyze(["verify", u.timerName, u.serviceName], dir);
      assert.notEqual(res?.code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
