// Run history through the real CLI on real runs: find the state from the flow, diff two runs, logs per run
// (also while the run is going), retention, and the HTML timeline in a real headless browser.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writePluginLock } from "../plugins/lock/mod.ts";
import { compileWat, testPluginSource } from "../testdata/plugins/build.ts";
import { sha256Hex } from "../plugins/host/wasm_bytes.ts";
import { StateStore } from "../engine/state/mod.ts";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";
import { countColor, decodePng, findChromium, inspectPage } from "./_chromium.ts";

const ENV = { AETHERFLOW_LOG_FORMAT: "json" };

/** t_noop compiled with `version` in its descriptor, pinned in the flow's plugin lock. */
async function pinNoop(dir: string, version: string): Promise<string> {
  const src = (await testPluginSource("t_noop")).replace(
    '\\"version\\":\\"1.0.0\\"',
    `\\"version\\":\\"${version}\\"`,
  );
  assert.ok(src.includes(version), "descriptor version replaced");
  const bytes = await compileWat("t_noop", src);
  await Deno.writeFile(join(dir, "t_noop.wasm"), bytes);
  const sha256 = await sha256Hex(bytes);
  await writePluginLock({
    file: join(dir, "aetherflow.plugins.yaml"),
    plugins: [{ path: "t_noop.wasm", sha256 }],
  });
  return sha256;
}

const JOBS = `
  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1, 2, 3]}}
      - {id: plug, type: t_noop, inputs: {num: "{{steps.count.count}}"}}
  - id: load
    depends_on: [extract]
    steps:
      - {id: s, type: check_items, inputs: {items: [a]}}
`;
// The env key reaches the run through a resource (like a DB host): no step input changes with it.
const RESOURCES = `  api: {kind: echo, driver: echo, config: {base_url: "{{env.API_URL}}"}}`;

Deno.test("runs diff names a changed plugin and a changed env key between two runs, and nothing else", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, JOBS, { resources: RESOURCES });
  const sha1 = await pinNoop(dir.path, "1.0.0");
  const first = await runCli(["run", flow, "--run-id", "r1"], {
    env: { ...ENV, API_URL: "http://a.example" },
  });
  assert.equal(first.code, 0, first.stderr);
  const sha2 = await pinNoop(dir.path, "1.1.0");
  assert.notEqual(sha1, sha2);
  const second = await runCli(["run", flow, "--run-id", "r2"], {
    env: { ...ENV, API_URL: "http://b.example" },
  });
  assert.equal(second.code, 0, second.stderr);

  // Against the previous run of the same flow (the default), the state found from the flow file.
  const r = await runCli(["runs", "diff", "r2", flow, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.ok, true);
  assert.deepEqual(doc.against, { run_id: "r1", status: "SUCCESS" });
  assert.deepEqual(doc.changes, [
    {
      kind: "plugin",
      key: "t_noop",
      before: { version: "1.0.0", sha256: sha1 },
      after: { version: "1.1.0", sha256: sha2 },
    },
    { kind: "env", key: "API_URL", before: "http://a.example", after: "http://b.example" },
  ]);
  const text = await runCli([
    "runs",
    "diff",
    "r2",
    "--against",
    "r1",
    "--db",
    join(dir.path, "state.sqlite"),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^run r1 \(SUCCESS\) -> run r2 \(SUCCESS\)$/m);
  assert.match(text.stdout, /plugin t_noop: .*"1\.0\.0".* -> .*"1\.1\.0"/);
  assert.match(text.stdout, /env API_URL: "http:\/\/a\.example" -> "http:\/\/b\.example"/);
  assert.match(text.stdout, /^2 changes$/m);

  // Against today's flow with the env of the first run: only the plugin differs from r1.
  const current = await runCli(["runs", "diff", "r1", "--against-current", flow, "--json"], {
    env: { ...ENV, API_URL: "http://a.example" },
  });
  assert.equal(current.code, 0, current.stderr);
  assert.deepEqual(
    JSON.parse(current.stdout).changes.map((c: { kind: string; key: string }) => [c.kind, c.key]),
    [
      ["plugin", "t_noop"],
    ],
  );
});

Deno.test("runs diff shows step inputs that changed, and secrets only as ***", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `
  - id: a
    steps:
      - {id: s, type: check_items, inputs: {items: ["{{env.REGION}}"], min_count: 1}}
`,
    { resources: `  db: {kind: echo, driver: echo, config: {password: "{{env.DB_PASSWORD}}"}}` },
  );
  for (const [id, region, pw] of [["r1", "eu", "first-secret"], ["r2", "us", "second-secret"]]) {
    const r = await runCli(["run", flow, "--run-id", id], { env: { REGION: region, DB_PASSWORD: pw } });
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await runCli(["runs", "diff", "r2", flow, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes("secret"), r.stdout);
  assert.deepEqual(JSON.parse(r.stdout).changes, [
    { kind: "env", key: "REGION", before: "eu", after: "us" },
    { kind: "step_inputs", key: "a/s inputs.items", before: ["eu"], after: ["us"] },
  ]);
  const shown = await runCli(["runs", "show", "r2", flow, "--json"]);
  const run = JSON.parse(shown.stdout);
  assert.deepEqual(run.run.env, { DB_PASSWORD: "***", REGION: "us" });
  assert.deepEqual(run.jobs[0].steps[0].inputs, { items: ["us"], min_count: 1 });
  assert.ok(!shown.stdout.includes("second-secret"));
});

Deno.test("runs logs prints a run's own lines (text, --json, --job/--step), and --follow until the run ends", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `
  - id: a
    steps:
      - {id: s1, type: check_items, inputs: {items: [1]}}
  - id: b
    steps:
      - id: slow
        type: external.process
        inputs: {command: ["sh", "-c", "echo out; sleep 2; echo done"], log: {stdout: capture}}
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      new URL("../cli/main.ts", import.meta.url).pathname,
      "run",
      flow,
      "--run-id",
      "R",
    ],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Follow from the start: the log file may not exist yet, then it grows; the command returns when the run ends.
  const deadline = Date.now() + 60_000;
  let followed: Awaited<ReturnType<typeof runCli>> | undefined;
  while (Date.now() < deadline) {
    const r = await runCli(["runs", "logs", "R", flow, "--follow", "--json"]);
    if (r.code === 0) {
      followed = r;
      break;
    }
    await new Promise((ok) => setTimeout(ok, 200)); // the run record is not there yet
  }
  assert.equal((await child.status).code, 0);
  assert.ok(followed, "runs logs --follow succeeded");
  const records = followed.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(records.at(-1).event, "run_summary", "followed to the end");
  assert.ok(records.some((r) => r.step_id === "slow" && String(r.message).includes("line=done")));

  const text = await runCli(["runs", "logs", "R", flow]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, / INFO aetherflow\.flow\.demo - run_start flow_id=demo run_id=R /);
  const onlyB = await runCli(["runs", "logs", "R", flow, "--job", "b", "--json"]);
  const b = onlyB.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(b.length > 0 && b.every((r) => r.job_id === "b"));
  const onlyS1 = await runCli(["runs", "logs", "R", "--db", join(dir.path, "state.sqlite"), "--step", "s1"]);
  assert.match(onlyS1.stdout, /step_start .* step_id=s1 /);
  assert.doesNotMatch(onlyS1.stdout, /slow/);
});

Deno.test("runs prune removes old runs' rows, job dirs and logs; keeps recent, running and (with --keep-failed) failed runs", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n",
  );
  for (const id of ["old-ok", "new-ok"]) {
    const r = await runCli(["run", flow, "--run-id", id]);
    assert.equal(r.code, 0, r.stderr);
  }
  const db = join(dir.path, "state.sqlite");
  const day = 86_400_000;
  {
    // Age two runs by rewriting their record through the store's clock; add an old FAILED and a RUNNING one.
    using store = StateStore.open(db, { now: () => Date.now() - 40 * day });
    store.finishRun("old-ok", { status: "SUCCESS", exitCode: 0 });
    store.beginRun({ runId: "old-failed", flowId: "demo", flowYaml: flow, version: "0", host: "h", pid: 1 });
    store.finishRun("old-failed", { status: "FAILED", exitCode: 1 });
    store.beginRun({ runId: "old-running", flowId: "demo", flowYaml: flow, version: "0", host: "h", pid: 1 });
    store.holdRunLease("old-running", { ttlSeconds: 10 * 365 * 86400, renewEveryMs: 0 });
  }
  const jobDir = join(dir.path, "ws", "demo", "a", "old-ok");
  const log = join(dir.path, "state.sqlite.logs", "old-ok.jsonl");
  await Deno.stat(jobDir);
  await Deno.stat(log);

  const dry = await runCli(["runs", "prune", flow, "--keep-failed", "--dry-run", "--json"]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout);
  assert.deepEqual(plan.runs.map((r: { run_id: string }) => r.run_id), ["old-ok"]);
  assert.deepEqual(plan.runs[0].dirs, [jobDir]);
  assert.equal(plan.runs[0].deleted, false);
  assert.deepEqual(plan.skipped.map((s: { run_id: string; reason: string }) => [s.run_id, s.reason]).sort(), [
    ["old-failed", "failed (--keep-failed)"],
    ["old-running", "running"],
  ]);
  await Deno.stat(jobDir); // dry run: nothing removed

  const real = await runCli(["runs", "prune", flow, "--keep-failed"]);
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /^deleted old-ok \(demo, SUCCESS, ended .*\): 1 job dir\(s\), run log$/m);
  await assert.rejects(Deno.stat(jobDir), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(log), Deno.errors.NotFound);
  await Deno.stat(join(dir.path, "ws", "demo", "a", "new-ok"));
  const left = JSON.parse((await runCli(["runs", "list", flow, "--json"])).stdout).runs.map((
    r: { run_id: string },
  ) => r.run_id).sort();
  assert.deepEqual(left, ["new-ok", "old-failed", "old-running"]);

  const all = await runCli(["runs", "prune", "--db", db, "--older-than", "30d", "--json"]);
  assert.deepEqual(JSON.parse(all.stdout).runs.map((r: { run_id: string }) => r.run_id), ["old-failed"]);
});

Deno.test("runs show --html writes one self-contained page that renders its bars in headless Chromium", async (t) => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `
  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1, 2]}}
      - id: wait
        type: external.process
        inputs: {command: ["sh", "-c", "sleep 0.3"]}
  - id: publish
    depends_on: [extract]
    steps:
      - id: push
        type: external.process
        inputs: {command: ["sh", "-c", "sleep 0.3; echo 'upstream said <no>' >&2; exit {{env.PUB_RC:4}}"]}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "H"]);
  assert.equal(r.code, 1, r.stderr);
  const html = join(dir.path, "run.html");
  const w = await runCli(["runs", "show", "H", flow, "--html", html]);
  assert.equal(w.code, 0, w.stderr);
  const page = await Deno.readTextFile(html);
  assert.doesNotMatch(
    page,
    /<script|https?:\/\/|<link|@import|url\(/i,
    "self-contained: no script, no network",
  );
  assert.match(page, /external\.process failed with exit code 4/);
  // The resumed run's page marks the steps restored from the first invocation.
  const resumed = await runCli(["run", flow, "--run-id", "H"], { env: { PUB_RC: "0" } });
  assert.equal(resumed.code, 0, resumed.stderr);
  const html2 = join(dir.path, "resumed.html");
  assert.equal((await runCli(["runs", "show", "H", flow, "--html", html2])).code, 0);
  const page2 = await Deno.readTextFile(html2);
  assert.equal([...page2.matchAll(/data-resumed="true"/g)].length, 2, "count and wait were restored");
  assert.match(page2, /data-id="publish" data-status="SUCCESS"/);
  // The browser checks the failed run's page, written before the resume.

  const chromium = findChromium();
  if (chromium === null) {
    console.warn("skipped the browser check: no chromium binary (apt-get install chromium)");
    t.step({ name: "headless Chromium (not installed)", ignore: true, fn: () => {} });
    return;
  }
  const report = await inspectPage(
    chromium,
    `file://${html}`,
    `JSON.stringify([...document.querySelectorAll(".bar")].map((b) => {
       const r = b.getBoundingClientRect();
       return { id: b.dataset.id, status: b.dataset.status, width: r.width, height: r.height };
     }))`,
  );
  assert.deepEqual(report.errors, [], "no console errors");
  assert.deepEqual(report.requests, [`file://${html}`], "nothing but the page itself is loaded");
  const bars = JSON.parse(String(report.value)) as {
    id: string;
    status: string;
    width: number;
    height: number;
  }[];
  assert.deepEqual(bars.map((b) => [b.id, b.status]), [
    ["extract", "SUCCESS"],
    ["extract/count", "SUCCESS"],
    ["extract/wait", "SUCCESS"],
    ["publish", "FAILED"],
  ]);
  assert.ok(bars.every((b) => b.width >= 3 && b.height > 5), JSON.stringify(bars));
  const wait = bars.find((b) => b.id === "extract/wait")!;
  const count = bars.find((b) => b.id === "extract/count")!;
  assert.ok(wait.width > count.width, "a longer step is a longer bar");
  const img = await decodePng(report.screenshot);
  await Deno.writeFile(join(dir.path, "run.png"), report.screenshot);
  assert.ok(countColor(img, "#2e9d4f") > 200, "green SUCCESS bars are on the screenshot");
  assert.ok(countColor(img, "#d63b3b") > 1000, "the red FAILED bar is on the screenshot");
});
