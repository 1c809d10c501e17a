// Hostile plugins in one real run (docs/plugin-security.md): an HTTP request outside the grant, start-up code
// spinning in three jobs, a host-memory bomb, a log flood with forged lines, a planted symlink, a step calling
// its own plugin's connector. Each is contained in its own job with an error naming the limit, the other jobs
// (a bystander plugin among them) run, and while the run's last step sleeps, the aetherflow process has no
// thread left busy — measured from /proc, not assumed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, ROOT, stateRows, tempDir, writeDemoFlow } from "./_helpers.ts";
import { PluginCache } from "../testdata/acceptance/kit.ts";
import { writePluginLock } from "../plugins/lock/mod.ts";
import type { PluginPin } from "../plugins/lock/mod.ts";
import { threadActivity } from "../testdata/plugins/_threads.ts";
import { HOSTILE_TIMEOUT_MS } from "../plugins/_testing.ts";

const PLUGINS = new PluginCache();

function jobsYaml(grantedPort: number, otherPort: number): string {
  const job = (id: string, step: string) => `  - id: ${id}\n    steps:\n${step}`;
  return [
    job("http", `      - {id: s, type: t_http, inputs: {url: "http://127.0.0.1:${otherPort}/"}}\n`),
    job("http_ok", `      - {id: s, type: t_http, inputs: {url: "http://127.0.0.1:${grantedPort}/"}}\n`),
    ...[1, 2, 3].map((i) => job(`spin${i}`, "      - {id: s, type: h_startspin}\n")),
    job("alloc", "      - {id: s, type: h_allocbomb, inputs: {mib: 64}}\n"),
    job("flood", "      - {id: s, type: h_logflood}\n"),
    job(
      "symlink",
      `      - {id: plant, type: h_symlink, outputs: {errno: "{{result.errno}}"}}
      - id: planted_by_a_process
        type: external.process
        inputs: {command: [sh, -c, 'ln -s /etc "$AETHERFLOW_OUTPUT_DIR/escape2"']}
      - id: follows
        type: external.process
        inputs:
          command: [echo, hi]
          log: {stdout: file, file_path: escape2/aetherflow-test.log}
`,
    ),
    job("selfcall", "      - {id: s, type: h_selfcall, inputs: {resource: r1}}\n"),
    job("bystander", "      - {id: s, type: t_echo, inputs: {still: alive}}\n"),
    job("sleep", "      - {id: s, type: external.process, inputs: {command: [sleep, '3']}}\n"),
  ].join("");
}

Deno.test("hostile plugins are contained one job each, the run goes on, no thread is left burning", async () => {
  await using dir = await tempDir();
  const granted = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response('"ok"'),
  );
  let otherHits = 0;
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    otherHits++;
    return new Response('"other"');
  });
  try {
    const grants: Record<string, PluginPin["grants"]> = {
      t_http: { hosts: [`127.0.0.1:${granted.addr.port}`] },
      h_startspin: { files: "artifacts", timeout_ms: HOSTILE_TIMEOUT_MS },
      h_allocbomb: { memory_mb: 16 },
      h_logflood: {},
      h_symlink: { files: "artifacts" },
      h_selfcall: { resources: ["r1"], timeout_ms: 20_000 },
      t_echo: {},
    };
    const pins: PluginPin[] = [];
    for (const [name, g] of Object.entries(grants)) {
      const b = await PLUGINS.get(name);
      await Deno.writeFile(join(dir.path, `${name}.wasm`), b.bytes);
      pins.push({ path: `${name}.wasm`, sha256: b.sha256, grants: g });
    }
    await writePluginLock({ file: join(dir.path, "aetherflow.plugins.yaml"), plugins: pins });
    const flow = await writeDemoFlow(dir.path, jobsYaml(granted.addr.port, other.addr.port), {
      resources: "  r1: {kind: test, driver: h_selfcall}",
    });

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", MAIN, "run", flow, "--run-id", "R1"],
      cwd: ROOT,
      env: { AETHERFLOW_LOG_FORMAT: "json", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Read the JSON log until the last job's sleep starts, then sample the process's threads meanwhile.
    const lines: string[] = [];
    let activity: Awaited<ReturnType<typeof threadActivity>> | undefined;
    const decoder = new TextDecoder();
    let pending = "";
    const stdout = child.stdout.text();
    for await (const chunk of child.stderr) {
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (activity === undefined && /"event":"step_start".*"job_id":"sleep"/.test(line)) {
          activity = await threadActivity(child.pid, { windowMs: 1500 });
        }
      }
    }
    const { code } = await child.status;
    await stdout;
    const log = lines.join("\n");
    assert.equal(code, 1, log);
    assert.ok(activity, `the sleep step never started:\n${log}`);
    assert.deepEqual(
      activity.busyThreads,
      [],
      `threads still busy during the last step: ${JSON.stringify(activity)}`,
    );
    assert.ok(activity.cpuCores < 0.5, `aetherflow used ${activity.cpuCores.toFixed(2)} cores while idle`);

    const db = join(dir.path, "state.sqlite");
    const jobs = Object.fromEntries(
      stateRows(db, "SELECT job_id, status, error FROM job_runs").map((r) => [r.job_id, r]),
    );
    const failed = (id: string, pattern: RegExp) => {
      assert.equal(jobs[id]?.status, "FAILED", `${id}: ${JSON.stringify(jobs[id])}`);
      assert.match(String(jobs[id]?.error), pattern, `${id}: ${jobs[id]?.error}`);
    };
    failed("http", new RegExp(`127\\.0\\.0\\.1:${other.addr.port}.*grants\\.hosts`));
    assert.equal(otherHits, 0);
    for (const id of ["spin1", "spin2", "spin3"]) {
      failed(id, new RegExp(`timeout of ${HOSTILE_TIMEOUT_MS} ms in its start-up code.*timeout_ms`));
    }
    failed("alloc", /memory cap of 16 MiB.*memory_mb/);
    failed("symlink", /Path not under allowed roots: escape2\/aetherflow-test\.log/);
    for (const id of ["http_ok", "flood", "selfcall", "bystander", "sleep"]) {
      assert.equal(jobs[id]?.status, "SUCCESS", `${id}: ${JSON.stringify(jobs[id])}\n${log}`);
    }
    const steps = Object.fromEntries(
      stateRows(db, "SELECT job_id, step_id, output_json FROM step_runs").map((
        r,
      ) => [`${r.job_id}.${r.step_id}`, JSON.parse(String(r.output_json ?? "null"))]),
    );
    assert.deepEqual(steps["symlink.plant"], { errno: 63 }, "path_symlink answered EPERM");
    assert.equal(
      await Deno.lstat(join(dir.path, "ws/demo/symlink/R1/artifacts/escape")).catch(() => null),
      null,
    );
    assert.deepEqual(steps["selfcall.s"], { response: { result: { served: "by itself" } } });
    assert.deepEqual(steps["bystander.s"], { still: "alive" });
    // The flood: capped with one warning, and no forged line in the (JSON) log.
    assert.equal((log.match(/reached its log cap/g) ?? []).length, 1, log);
    for (const line of lines) JSON.parse(line);
  } finally {
    await granted.shutdown();
    await other.shutdown();
  }
});
