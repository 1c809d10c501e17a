// `aetherflow schedule k8s` through the real CLI (docs/scheduling.md "Kubernetes CronJobs"): one batch/v1
// CronJob per item, validated against the Kubernetes API schema of the npm package kubernetes-models (generated
// from the Kubernetes OpenAPI definitions); the container command it writes really runs the item's slot.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { runCli, stateRows, tempDir } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type _Obj = Record<string, any>;

function _validate(manifest: _Obj): void {
  new CronJob(manifest as ConstructorParameters<typeof CronJob>[0]).validate();
}

async function _scheduler(dir: string, items: string): Promise<string> {
  const path = join(dir, "scheduler.yaml");
  await Deno.writeTextFile(path, `version: 1\ntimezone: America/New_York\nitems:\n${items}`);
  return path;
}

Deno.test("schedule k8s writes one valid batch/v1 CronJob per item with the slot guard as its command", async () => {
  await using dir = await tempDir();
  const file = await _scheduler(
    dir.path,
    `  - {id: nightly_export, cron: "30 4 * * *", flow_yaml: flows/export.yaml, misfire_grace_time: 600}
  - {id: Hourly.Check, cron: "0 * * * mon-fri", flow_yaml: flows/check.yaml, flow_job: probe, timeout: 15m}
`,
  );
  const out = join(dir.path, "k8s");
  const r = await runCli([
    "schedule",
    "k8s",
    file,
    "--image",
    "registry.example/etl:1.4",
    "--out",
    out,
    "--namespace",
    "etl",
    "--env-from-secret",
    "aetherflow-state",
    "--workdir",
    "/app",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, ["aetherflow-hourly-check.yaml", "aetherflow-nightly-export.yaml"]);

  const nightly: _Obj = parse(await Deno.readTextFile(join(out, "aetherflow-nightly-export.yaml")));
  const hourly: _Obj = parse(await Deno.readTextFile(join(out, "aetherflow-hourly-check.yaml")));
  for (const m of [nightly, hourly]) _validate(m);

  assert.equal(nightly.apiVersion, "batch/v1");
  assert.equal(nightly.kind, "CronJob");
  assert.equal(nightly.metadata.namespace, "etl");
  assert.equal(nightly.spec.schedule, "30 4 * * *");
  assert.equal(nightly.spec.timeZone, "America/New_York");
  assert.equal(nightly.spec.concurrencyPolicy, "Forbid");
  assert.equal(nightly.spec.startingDeadlineSeconds, 600);
  assert.equal(hourly.spec.startingDeadlineSeconds, 300);
  assert.equal(hourly.spec.jobTemplate.spec.activeDeadlineSeconds, 900);
  const pod = hourly.spec.jobTemplate.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  const c = pod.containers[0];
  assert.equal(c.image, "registry.example/etl:1.4");
  assert.equal(c.workingDir, "/app");
  assert.deepEqual([...c.command, ...c.args], [
    "aetherflow",
    "schedule",
    "fire",
    "--item",
    "Hourly.Check",
    "--cron",
    "0 * * * mon-fri",
    "--tz",
    "America/New_York",
    "--grace",
    "300",
    "--lock-dir",
    "/tmp/aetherflow-locks",
    "--",
    "run",
    "--flow-yaml",
    "flows/check.yaml",
    "--flow-job",
    "probe",
  ]);
  assert.deepEqual(c.envFrom, [{ secretRef: { name: "aetherflow-state" } }]);
  assert.deepEqual(
    c.env.find((e: _Obj) => e.name === "AETHERFLOW_HOST_ID").valueFrom,
    { fieldRef: { fieldPath: "metadata.name" } },
  );

  // The schema is not vacuous: what Kubernetes would refuse, it refuses.
  const broken = structuredClone(nightly);
  broken.spec.concurrencyPolicy = "Sometimes";
  assert.throws(() => _validate(broken), /concurrencyPolicy/);
  const noTemplate = structuredClone(nightly);
  delete noTemplate.spec.jobTemplate;
  assert.throws(() => _validate(noTemplate), /jobTemplate/);
});

Deno.test("the container command of a generated CronJob runs the item's current slot with the slot's run id", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "flows"));
  await Deno.writeTextFile(
    join(dir.path, "flows", "tick.yaml"),
    [
      "flow:",
      "  id: tick",
      `  workspace: {root: ${dir.path}/ws, cleanup_policy: never}`,
      `  state: {path: ${dir.path}/state.sqlite}`,
      "jobs:",
      "  - id: a",
      "    steps:",
      "      - {id: s, type: check_items, inputs: {items: [1]}}",
      "",
    ].join("\n"),
  );
  const itemId = `k8s_tick_${crypto.randomUUID().slice(0, 8)}`;
  const file = await _scheduler(
    dir.path,
    `  - {id: ${itemId}, cron: "* * * * *", flow_yaml: flows/tick.yaml}\n`,
  );
  const out = join(dir.path, "k8s");
  const gen = await runCli(["schedule", "k8s", file, "--image", "etl:1", "--out", out]);
  assert.equal(gen.code, 0, gen.stderr);
  const [entry] = [...Deno.readDirSync(out)];
  const m: _Obj = parse(await Deno.readTextFile(join(out, entry!.name)));
  const c = m.spec.jobTemplate.spec.template.spec.containers[0];
  const env = Object.fromEntries(
    (c.env as _Obj[]).map((e) => [e.name, e.value ?? "pod-a1b2c"]),
  );
  // What the pod runs, with this checkout's CLI standing in for the image's `aetherflow`.
  const fired = await runCli(c.args, { cwd: dir.path, env });
  assert.equal(fired.code, 0, fired.stderr);
  const runs = stateRows(join(dir.path, "state.sqlite"), "SELECT run_id, status, host FROM runs");
  assert.equal(runs.length, 1);
  assert.match(String(runs[0]!.run_id), new RegExp(`^${itemId}-\\d{8}T\\d{4}Z$`));
  assert.equal(runs[0]!.status, "SUCCESS");
  assert.equal(runs[0]!.host, "pod-a1b2c");
});

Deno.test("schedule k8s refuses item ids that clash or make too long a name: exit 2, nothing written", async () => {
  await using dir = await tempDir();
  const out = join(dir.path, "k8s");
  const clash = await _scheduler(
    dir.path,
    `  - {id: load_a, cron: "0 1 * * *", flow_yaml: f.yaml}
  - {id: load.a, cron: "0 2 * * *", flow_yaml: f.yaml}
  - {id: ${"x".repeat(60)}, cron: "0 3 * * *", flow_yaml: f.yaml}
`,
  );
  const r = await runCli(["schedule", "k8s", clash, "--image", "etl:1", "--out", out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /items load_a and load\.a both become CronJob aetherflow-load-a/);
  assert.match(r.stderr, /Kubernetes allows 52: shorten the item id/);
  assert.match(r.stderr, /scheduler\.yaml:\d+:\d+/);
  assert.equal(await Deno.stat(out).then(() => true, () => false), false);

  const noImage = await runCli(["schedule", "k8s", clash, "--out", out]);
  assert.equal(noImage.code, 2);
  assert.match(noImage.stderr, /--image/);
});
