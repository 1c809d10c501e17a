// Plugin resource abuse (docs/plugin-security.md "Limits"): host-side allocations bounded by memory_mb, log
// floods capped per call and per run with control characters escaped, and start-up code that spins stopped by
// timeout_ms with its thread terminated — measured in a probe process after the step, not assumed.
import assert from "node:assert/strict";
import { HOSTILE_TIMEOUT_MS, testStepContext } from "../_testing.ts";
import type { GrantsInput } from "../abi/mod.ts";
import { writeTestPlugin } from "../../testdata/plugins/build.ts";
import { LOG_LIMITS } from "./_log_gate.ts";
import { pluginStepDefinition } from "./plugin_step.ts";
import { loadWasmPlugin, type WasmPlugin } from "./wasm_plugin.ts";

const ROOT = await Deno.makeTempDir({ prefix: "af-abuse-" });
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));
const PROBE = new URL("../../testdata/plugins/_abuse_probe.ts", import.meta.url).pathname;

async function load(name: string, grants: GrantsInput = {}): Promise<WasmPlugin> {
  const b = await writeTestPlugin(name, ROOT);
  return await loadWasmPlugin({ path: b.path, sha256: b.sha256, grants });
}

async function step(plugin: WasmPlugin, inputs: Record<string, unknown> = {}) {
  const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
  const { ctx, lines } = testStepContext({ artifactsDir });
  const def = pluginStepDefinition(plugin, plugin.descriptor.steps[0]!);
  try {
    return { result: await def.run(inputs, ctx), lines, error: undefined };
  } catch (error) {
    return { result: undefined, lines, error: error as Error & { code?: string } };
  }
}

interface ProbeReport {
  results: { ok: boolean; code?: string; message?: string; exitCode?: number; lines?: unknown[] }[];
  activity: { cpuCores: number; busyThreads: string[]; samples: number };
}

async function probe(
  name: string,
  grants: GrantsInput,
  inputs: Record<string, unknown> = {},
  calls = 1,
): Promise<ProbeReport> {
  const b = await writeTestPlugin(name, ROOT);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      PROBE,
      b.path,
      b.sha256,
      JSON.stringify(grants),
      JSON.stringify(inputs),
      `${calls}`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  try {
    return JSON.parse(text.trim().split("\n").at(-1) ?? "");
  } catch {
    throw new Error(`probe output: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
}

function assertNothingBurning(report: ProbeReport): void {
  const { activity } = report;
  assert.deepEqual(
    activity.busyThreads,
    [],
    `threads still runnable after the step: ${JSON.stringify(activity)}`,
  );
  assert.ok(activity.cpuCores < 0.5, `the process still uses ${activity.cpuCores.toFixed(2)} cores`);
}

Deno.test("host-side allocations through alloc are bounded by memory_mb, per call", async () => {
  const bomb = await load("h_allocbomb", { memory_mb: 16 });
  const echo = await load("t_echo");
  try {
    const over = await step(bomb, { mib: 64 });
    assert.equal(over.error?.code, "plugin:memory", String(over.error));
    assert.match(
      over.error!.message,
      /h_allocbomb@1\.0\.0 allocated more host memory than its memory cap of 16 MiB in aetherflow_step \(memory_mb\)/,
    );
    // Under the budget a call succeeds — again and again: a call's blocks are released before the next one.
    for (let i = 0; i < 8; i++) {
      const ok = await step(bomb, { mib: 8 });
      assert.deepEqual(ok.result?.outputs, { ok: true }, String(ok.error));
    }
    assert.deepEqual((await step(echo, { still: "alive" })).result?.outputs, { still: "alive" });
  } finally {
    await Promise.all([bomb.close(), echo.close()]);
  }
});

Deno.test("a log flood is capped per call and per run, one warning each, control characters escaped", async () => {
  const flood = await load("h_logflood");
  try {
    const first = await step(flood);
    assert.equal(first.error, undefined, String(first.error));
    const warnings = first.lines.filter((l) => l.message.includes("reached its log cap"));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!.message, new RegExp(`log cap of ${LOG_LIMITS.callLines} lines .* per call`));
    assert.equal(first.lines.length, LOG_LIMITS.callLines + 1);
    for (const l of first.lines) {
      assert.ok(![..."\n\r\u001b"].some((c) => l.message.includes(c)), JSON.stringify(l.message));
    }
    assert.ok(
      first.lines.some((l) =>
        l.message === "flood\\n2030-01-01 00:00:00.000 INFO aetherflow - forged \\u001b[2J"
      ),
    );
    // The run's cap is reached during the last call that fits: one more warning, then nothing from this plugin.
    const calls = LOG_LIMITS.runLines / LOG_LIMITS.callLines;
    for (let i = 2; i < calls; i++) await step(flood);
    const last = await step(flood);
    assert.equal(last.lines.length, LOG_LIMITS.callLines + 1);
    assert.match(last.lines.at(-1)!.message, /log cap of 10000 lines .* per run/);
    assert.deepEqual((await step(flood)).lines, []);
  } finally {
    await flood.close();
  }
});

for (const name of ["h_startspin", "h_initspin"]) {
  Deno.test(`${name}: start-up code that spins is stopped by timeout_ms and its thread terminated`, async () => {
    const report = await probe(name, { files: "artifacts", timeout_ms: HOSTILE_TIMEOUT_MS }, {}, 2);
    const [load, first, second] = report.results;
    assert.equal(load?.ok, true, JSON.stringify(report));
    assert.equal(first?.code, "plugin:timeout", JSON.stringify(report));
    assert.match(
      first!.message!,
      new RegExp(
        `exceeded its timeout of ${HOSTILE_TIMEOUT_MS} ms in its start-up code \\(__af_\\w+\\) before aetherflow_step \\(timeout_ms\\)`,
      ),
    );
    // Never started again in this run: the second call fails at once with the same error.
    assert.equal(second?.code, "plugin:timeout");
    assertNothingBurning(report);
  });
}

Deno.test("a plugin looping in its step is terminated at timeout_ms: nothing left burning", async () => {
  const report = await probe("h_loop", { timeout_ms: HOSTILE_TIMEOUT_MS });
  assert.equal(report.results[1]?.code, "plugin:timeout", JSON.stringify(report));
  assertNothingBurning(report);
});

Deno.test("a plugin spinning in start while it is described is refused at load, its thread terminated", async () => {
  const report = await probe("h_startloop", { timeout_ms: 300 });
  const [load] = report.results;
  assert.equal(load?.code, "plugin:timeout", JSON.stringify(report));
  assert.equal(load?.exitCode, 2);
  assert.match(
    load!.message!,
    /exceeded its timeout of 300 ms in its start-up code \(__af_start\) before aetherflow_describe/,
  );
  assertNothingBurning(report);
});
