import assert from "node:assert/strict";
import { parseSchedulerYaml } from "./parse_scheduler_yaml.ts";

const codes = (text: string) => parseSchedulerYaml(text, "s.yaml").errors.map((i) => `${i.loc} ${i.code}`);

Deno.test("parseSchedulerYaml() accepts the B.2 forms", async (t) => {
  await t.step("defaults", () => {
    const r = parseSchedulerYaml("items:\n  - {id: a, cron: '*/5 * * * *', flow_yaml: f.yaml}\n", "s.yaml");
    assert.equal(r.ok, true);
    assert.equal(r.config?.timezone, "Europe/Berlin");
    assert.equal(r.config?.items[0]?.misfireGraceTime, 300);
    assert.equal(r.config?.items[0]?.allowStaleBundle, false);
  });
  await t.step("bundle-only item [D13]", () => {
    const r = parseSchedulerYaml(
      "items:\n  - {id: b, cron: '0 * * * *', bundle_manifest: m.yaml}\n",
      "s.yaml",
    );
    assert.equal(r.ok, true);
    assert.equal(r.config?.items[0]?.bundleManifest, "m.yaml");
  });
  await t.step("flow alias, boolean strings, numeric strings", () => {
    const r = parseSchedulerYaml(
      "version: '1'\nitems:\n  - {id: c, cron: '0 * * * *', flow: f.yaml, allow_stale_bundle: 'yes', misfire_grace_time: ' 60 '}\n",
      "s.yaml",
    );
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    assert.equal(r.config?.items[0]?.flowYaml, "f.yaml");
    assert.equal(r.config?.items[0]?.allowStaleBundle, true);
    assert.equal(r.config?.items[0]?.misfireGraceTime, 60);
  });
  await t.step("empty items idles", () => assert.equal(parseSchedulerYaml("items: []\n", "s.yaml").ok, true));
  await t.step("empty file", () => assert.equal(parseSchedulerYaml("", "s.yaml").ok, true));
});

Deno.test("parseSchedulerYaml() reports every problem with line:col before anything runs", () => {
  const text = [
    "timezone: Mars/Olympus", // 1
    "tz: UTC", // 2
    "items:", // 3
    "  - id: a", // 4
    "    cron: '*/5 * * *'", // 5
    "    flow_yaml: f.yaml", // 6
    "  - id: a", // 7
    "    cron: '0 0 31 2 *'", // 8
    "    flow_yaml: f.yaml", // 9
    "  - id: b", // 10
    "    cron: '/2 * * * *'", // 11
    "    crn: x", // 12
    "  - id: c", // 13
    "    cron: '0 0 * * *'", // 14
    "    flow_yaml: f.yaml", // 15
    "    flow: g.yaml", // 16
    "    misfire_grace_time: 0", // 17
    "",
  ].join("\n");
  const r = parseSchedulerYaml(text, "s.yaml");
  assert.equal(r.ok, false);
  const got = r.errors.map((i) => [i.line, i.col, i.loc, i.code]);
  assert.deepEqual(got, [
    [1, 11, "timezone", "scheduler:unknown_timezone"],
    [2, 1, "tz", "schema:extra_forbidden"],
    [5, 11, "items[0].cron", "scheduler:invalid_cron"],
    [7, 9, "items[1].id", "scheduler:duplicate_id"],
    [8, 11, "items[1].cron", "scheduler:never_fires"],
    [10, 5, "items[2]", "scheduler:missing_target"],
    [11, 11, "items[2].cron", "scheduler:invalid_cron"],
    [12, 5, "items[2].crn", "schema:extra_forbidden"],
    [16, 11, "items[3].flow", "scheduler:flow_conflict"],
    [17, 25, "items[3].misfire_grace_time", "schema:greater_than_equal"],
  ]);
  const msg = (loc: string) => r.errors.find((i) => i.loc === loc)?.msg;
  assert.equal(msg("timezone"), "Unknown time zone: Mars/Olympus");
  assert.equal(msg("tz"), "Extra inputs are not permitted (did you mean 'timezone'?)");
  assert.equal(msg("items[2].crn"), "Extra inputs are not permitted (did you mean 'cron'?)");
  assert.equal(msg("items[1].id"), "Duplicate item id: a");
  assert.equal(msg("items[1].cron"), "Cron expression never fires: 0 0 31 2 *");
  assert.equal(msg("items[2]"), "scheduler.yaml item b must set 'flow_yaml' or 'bundle_manifest'");
  assert.equal(msg("items[0].cron"), "Wrong number of fields; got 4, expected 5");
});

Deno.test("parseSchedulerYaml() type and YAML errors", async (t) => {
  const CASES = [
    ["missing id and cron", "items:\n  - {flow_yaml: f.yaml}\n", [
      "items[0].id schema:missing",
      "items[0].cron schema:missing",
    ]],
    ["YAML 1.1 boolean id", "items:\n  - {id: no, cron: '* * * * *', flow_yaml: f}\n", [
      "items[0].id schema:string_type",
    ]],
    ["items not a list", "items: {a: 1}\n", ["items schema:list_type"]],
    ["item not a map", "items: [x]\n", ["items[0] schema:model_type"]],
    ["bad grace", "items:\n  - {id: a, cron: '* * * * *', flow_yaml: f, misfire_grace_time: abc}\n", [
      "items[0].misfire_grace_time schema:int_parsing",
    ]],
    ["upstream key 'manifest' gets a hint", "items:\n  - {id: a, cron: '* * * * *', manifest: m}\n", [
      "items[0] scheduler:missing_target",
      "items[0].manifest schema:extra_forbidden",
    ]],
    ["duplicate key", "items: []\nitems: []\n", ["items yaml:duplicate_key"]],
    ["root not a map", "- a\n", ["<root> schema:model_type"]],
  ] as const;
  for (const [name, text, want] of CASES) {
    await t.step(name, () => assert.deepEqual(codes(text).sort(), [...want].sort()));
  }
});

Deno.test("parseSchedulerYaml() warns on numeric day-of-week but stays valid", () => {
  const r = parseSchedulerYaml("items:\n  - {id: a, cron: '*/3 * * * 1', flow_yaml: f}\n", "s.yaml");
  assert.equal(r.ok, true);
  assert.equal(r.warnings[0]?.code, "scheduler:numeric_dow");
  assert.equal(r.warnings[0]?.line, 2);
});

Deno.test("parseSchedulerYaml() refuses item ids that cannot be a run id or one unit-file line", () => {
  const item = (id: string) =>
    `items:\n  - {id: ${JSON.stringify(id)}, cron: '0 0 * * *', flow_yaml: f.yaml}\n`;
  for (
    const id of ["", "  ", "a\nExecStartPre=/bin/touch /tmp/pwned", "tab\there", "../x", "a/./b", "..\\x"]
  ) {
    const r = parseSchedulerYaml(item(id), "s.yaml");
    assert.equal(r.ok, false, JSON.stringify(id));
    assert.equal(r.errors[0]?.code, "scheduler:invalid_id");
    assert.equal(r.errors[0]?.line, 2);
  }
  // Spaces and non-ASCII stay valid: unit names escape them (docs/scheduling.md).
  for (const id of ["with space", "ünï", "-dash", "a.b:c", "odd id/x", "..x"]) {
    assert.equal(parseSchedulerYaml(item(id), "s.yaml").ok, true, id);
  }
});

Deno.test("parseSchedulerYaml() item timeout: seconds or d/h/m/s spans, at least 1 s", () => {
  const t = (v: string) =>
    parseSchedulerYaml(
      `items:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml, timeout: ${v}}\n`,
      "s.yaml",
    );
  assert.equal(t("3600").config?.items[0]?.timeoutS, 3600);
  assert.equal(t("90m").config?.items[0]?.timeoutS, 5400);
  assert.equal(t("1h30m").config?.items[0]?.timeoutS, 5400);
  assert.equal(t("1d").config?.items[0]?.timeoutS, 86400);
  assert.equal(
    parseSchedulerYaml("items:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml}\n", "s.yaml").config
      ?.items[0]?.timeoutS,
    undefined,
  );
  assert.deepEqual(t("infinity").errors.map((e) => e.code), ["scheduler:invalid_duration"]);
  assert.deepEqual(t("0").errors.map((e) => e.code), ["schema:greater_than_equal"]);
  assert.match(
    codes("items:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml, timeout_seconds: 5}\n")[0] ?? "",
    /extra_forbidden/,
  );
  assert.match(
    parseSchedulerYaml(
      "items:\n  - {id: a, cron: '0 4 * * *', flow_yaml: f.yaml, timeout_seconds: 5}\n",
      "s.yaml",
    ).errors[0]?.msg ?? "",
    /did you mean 'timeout'/,
  );
});

Deno.test("parseSchedulerYaml() zones: canonical IANA spelling only, with the spelling to use", () => {
  const tz = (zone: string) =>
    parseSchedulerYaml(`timezone: ${JSON.stringify(zone)}\n`, "s.yaml").errors[0]?.msg;
  assert.equal(tz("Europe/Berlin"), undefined);
  assert.equal(tz("UTC"), undefined);
  assert.equal(
    tz("europe/berlin"),
    "Time zone europe/berlin is not spelled canonically (did you mean 'Europe/Berlin'?)",
  );
  assert.equal(tz("utc"), "Time zone utc is not spelled canonically (did you mean 'UTC'?)");
  assert.match(tz("+01:00") ?? "", /^Unknown time zone: \+01:00 \(use an IANA zone name/);
  assert.equal(
    tz("America/New_Yrok"),
    "Unknown time zone: America/New_Yrok (did you mean 'America/New_York'?)",
  );
});

Deno.test("parseSchedulerYaml() warns when a daily time falls into a DST gap or repeat of the zone", () => {
  const yaml = (cron: string, zone = "Europe/Berlin") =>
    parseSchedulerYaml(
      `timezone: ${zone}\nitems:\n  - {id: a, cron: '${cron}', flow_yaml: f.yaml}\n`,
      "s.yaml",
      {
        now: Date.parse("2025-01-15T00:00:00Z"),
      },
    ).warnings;
  const nightly = yaml("30 2 * * *");
  assert.deepEqual(nightly.map((w) => [w.loc, w.code, w.line, w.col]), [
    ["items[0].cron", "scheduler:dst_gap", 3, 19],
    ["items[0].cron", "scheduler:dst_repeat", 3, 19],
  ]);
  assert.match(
    nightly[0]?.msg ?? "",
    /^02:30 does not exist in Europe\/Berlin on 2025-03-30 \(clocks jump from 02:00 to 03:00\)/,
  );
  assert.match(
    nightly[1]?.msg ?? "",
    /^02:30 happens twice in Europe\/Berlin on 2025-10-26 \(clocks go back from 03:00 to 02:00\)/,
  );
  assert.deepEqual(yaml("30 3 * * *"), []);
  assert.deepEqual(yaml("30 2 * * *", "UTC"), []);
  assert.deepEqual(yaml("*/15 * * * *"), [], "not a daily time: every hour is meant");
  // Only days the cron matches: 2025-03-30 is a Sunday.
  assert.deepEqual(yaml("30 2 * * mon-fri").map((w) => w.code), []);
  assert.deepEqual(yaml("0,15,30,45 2 * * sun").map((w) => w.code), [
    "scheduler:dst_gap",
    "scheduler:dst_repeat",
  ]);
  assert.match(yaml("0,15,30,45 2 * * sun")[0]?.msg ?? "", /^02:00, 02:15, 02:30 and 1 more does not exist/);
});
