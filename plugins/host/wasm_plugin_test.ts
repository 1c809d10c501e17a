// The sandbox and pin checks against real WAT plugins (testdata/plugins) in Extism worker mode.
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPlugins, HOSTILE_TIMEOUT_MS, testStepContext } from "../_testing.ts";
import type { GrantsInput } from "../abi/mod.ts";
import type { JsonObject, JsonValue } from "../../engine/types.ts";
import { loadWasmPlugin, type PluginRunMode, type WasmPlugin } from "./wasm_plugin.ts";
import { pluginStepDefinition } from "./plugin_step.ts";
import type { ConnectorCaller } from "./call_scope.ts";
import { sha256Hex } from "./wasm_bytes.ts";
import { compileWat } from "../../testdata/plugins/build.ts";

const NAMES = [
  "t_echo",
  "_test_skip",
  "_test_boom",
  "t_failonce",
  "t_conn",
  "t_http",
  "h_loop",
  "h_membomb",
  "h_bigout",
  "h_trap",
  "h_badjson",
  "h_weird",
  "h_abi2",
  "h_noexport",
  "h_nodescribe",
  "h_files",
] as const;
type Name = typeof NAMES[number];

const ROOT = await Deno.makeTempDir({ prefix: "af-plugins-" });
const BUILT = await buildPlugins(ROOT, NAMES);
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

async function load(
  name: Name,
  grants: GrantsInput = {},
  mode: PluginRunMode = "worker",
): Promise<WasmPlugin> {
  const b = BUILT[name];
  return await loadWasmPlugin({ path: b.path, sha256: b.sha256, grants, mode });
}

async function withPlugins<T>(plugins: WasmPlugin[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await Promise.all(plugins.map((p) => p.close()));
  }
}

/** Run the plugin's one step type through StepDefinition.run with a hand-made StepContext. */
async function runStep(plugin: WasmPlugin, inputs: JsonObject, connectors?: ConnectorCaller) {
  const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
  const { ctx, lines } = testStepContext({ artifactsDir, connectors });
  const def = pluginStepDefinition(plugin, plugin.descriptor.steps[0]!);
  return { result: await def.run(inputs, ctx), lines, artifactsDir };
}

async function assertBystanderWorks(bystander: WasmPlugin): Promise<void> {
  const { result } = await runStep(bystander, { still: "alive" });
  assert.deepEqual(result.outputs, { still: "alive" });
}

Deno.test("a plugin step runs through StepDefinition.run and logs through af_log", async (t) => {
  for (const mode of ["worker", "foreground"] as const) {
    await t.step(mode, async () => {
      const echo = await load("t_echo", {}, mode);
      await withPlugins([echo], async () => {
        assert.equal(echo.origin, "plugin:t_echo@1.0.0");
        const inputs = { v: 1, lst: [1, "R", { x: 'd"q' }] };
        const { result, lines } = await runStep(echo, inputs);
        assert.deepEqual(result, { status: "SUCCESS", outputs: inputs });
        assert.deepEqual(lines, [{ level: "info", message: `ECHO job_a s1 ${JSON.stringify(inputs)}` }]);
      });
    });
  }
});

Deno.test("plugin results: SKIPPED with a reason, and a plugin error carrying name and version", async () => {
  const skip = await load("_test_skip");
  const boom = await load("_test_boom");
  await withPlugins([skip, boom], async () => {
    const { result } = await runStep(skip, {});
    assert.deepEqual(result, {
      status: "SKIPPED",
      outputs: { has_data: false, count: 0 },
      reason: "no data",
    });
    await assert.rejects(runStep(boom, {}), {
      name: "PluginError",
      message: "Plugin _test_boom@1.0.0 failed: boom",
    });
  });
});

Deno.test("t_failonce fails once, then finds its marker in the granted artifacts dir", async () => {
  const p = await load("t_failonce", { files: "artifacts" });
  await withPlugins([p], async () => {
    const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
    const { ctx } = testStepContext({ artifactsDir });
    const def = pluginStepDefinition(p, p.descriptor.steps[0]!);
    await assert.rejects(Promise.resolve(def.run({ marker: "m1" }, ctx)), { message: /failing once/ });
    assert.equal((await Deno.stat(join(artifactsDir, "m1"))).isFile, true);
    assert.deepEqual(await def.run({ marker: "m1" }, ctx), {
      status: "SUCCESS",
      outputs: { marker: "found" },
    });
  });
});

Deno.test("hostile plugins are contained with an error naming the limit; others are unaffected", async (t) => {
  const bystander = await load("t_echo");
  // Only the loop needs a short timeout_ms: the others keep the default, so a loaded machine cannot turn their
  // describe or step into a timeout.
  const limits: GrantsInput = { memory_mb: 16, max_output_bytes: 65536 };
  const CASES = [
    ["infinite loop", "h_loop", {
      code: "plugin:timeout",
      message: new RegExp(
        `exceeded its timeout of ${HOSTILE_TIMEOUT_MS} ms in aetherflow_step \\(timeout_ms\\)`,
      ),
    }],
    ["memory bomb", "h_membomb", {
      code: "plugin:trap",
      message: /out of bounds.*memory cap 16 MiB, memory_mb/,
    }],
    ["huge output", "h_bigout", {
      code: "plugin:output_cap",
      message: /1048576 bytes.*output cap of 65536 bytes \(max_output_bytes\)/,
    }],
    ["trap", "h_trap", {
      code: "plugin:trap",
      message: /h_trap@1\.0\.0 trapped in aetherflow_step: unreachable/,
    }],
    ["malformed JSON out", "h_badjson", { code: "plugin:malformed_json", message: /malformed JSON/ }],
    ["invalid status", "h_weird", { message: /invalid step status "WEIRD"/ }],
  ] as const;
  await withPlugins([bystander], async () => {
    for (const [name, plugin, want] of CASES) {
      await t.step(name, async () => {
        const hostile = await load(
          plugin,
          plugin === "h_loop" ? { ...limits, timeout_ms: HOSTILE_TIMEOUT_MS } : limits,
        );
        await withPlugins([hostile], async () => {
          await assert.rejects(runStep(hostile, {}), want);
          await assertBystanderWorks(bystander);
          // The same plugin gets a fresh instance and is contained again (no hang, no crash).
          await assert.rejects(runStep(hostile, {}), want);
        });
      });
    }
  });
});

Deno.test("files: only the granted artifacts dir is reachable through WASI", async () => {
  const granted = await load("h_files", { files: "artifacts" });
  const ungranted = await load("h_files");
  await withPlugins([granted, ungranted], async () => {
    const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
    await Deno.writeTextFile(join(artifactsDir, "inside.txt"), "ok");
    await Deno.writeTextFile(join(ROOT, "outside.txt"), "secret");
    const { ctx } = testStepContext({ artifactsDir });
    const def = pluginStepDefinition(granted, granted.descriptor.steps[0]!);
    assert.deepEqual((await def.run({ path: "inside.txt" }, ctx)).outputs, { opened: true });
    for (const path of ["../outside.txt", "/etc/hostname", "../../../../etc/hostname"]) {
      await assert.rejects(Promise.resolve(def.run({ path }, ctx)), { message: /open refused/ });
    }
    const bare = pluginStepDefinition(ungranted, ungranted.descriptor.steps[0]!);
    await assert.rejects(Promise.resolve(bare.run({ path: "inside.txt" }, ctx)), { message: /open refused/ });
  });
});

Deno.test("HTTP reaches a granted host only", async () => {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return new Response(JSON.stringify("pong"));
  });
  const port = server.addr.port;
  // The plugin asks for 127.0.0.1 and localhost; only 127.0.0.1 is granted.
  const p = await load("t_http", { hosts: ["127.0.0.1"] });
  try {
    await withPlugins([p], async () => {
      assert.deepEqual(p.grants.hosts, ["127.0.0.1"]);
      const { result } = await runStep(p, { url: `http://127.0.0.1:${port}/x` });
      assert.deepEqual(result.outputs, { body: "pong" });
      assert.equal(hits, 1);
      await assert.rejects(runStep(p, { url: `http://localhost:${port}/x` }), {
        code: "plugin:http_denied",
        message: /localhost.*grants\.hosts/,
      });
      assert.equal(hits, 1);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("af_connector_call reaches granted resources only, with guest paths mapped", async () => {
  const calls: { resource: string; method: string; args: JsonObject }[] = [];
  const connectors = {
    call(resource: string, method: string, args: JsonObject): Promise<JsonValue> {
      calls.push({ resource, method, args });
      return Promise.resolve({ ok: resource });
    },
  };
  const p = await load("t_conn", { resources: ["r1"], files: "artifacts" });
  await withPlugins([p], async () => {
    const granted = await runStep(p, { resource: "r1", args: { n: 1 } }, connectors);
    assert.deepEqual(granted.result.outputs, { response: { result: { ok: "r1" } } });
    assert.deepEqual(calls, [{ resource: "r1", method: "echo", args: { n: 1 } }]);

    const denied = await runStep(p, { resource: "r2" }, connectors);
    assert.match(JSON.stringify(denied.result.outputs), /resource 'r2' is not granted.*grants\.resources/);
    assert.equal(calls.length, 1);
    assert.ok(denied.lines.some((l) => l.level === "warn" && l.message.includes("'r2'")));

    const mapped = await runStep(
      p,
      { resource: "r1", args: { local_path: "/artifacts/out.csv" } },
      connectors,
    );
    assert.deepEqual(calls[1]?.args, { local_path: join(mapped.artifactsDir, "out.csv") });
    const outside = await runStep(p, { resource: "r1", args: { local_path: "/etc/passwd" } }, connectors);
    assert.match(JSON.stringify(outside.result.outputs), /not under a granted directory/);
    assert.equal(calls.length, 2);
  });
});

Deno.test("pins and descriptors are checked before anything runs", async (t) => {
  await t.step("hash mismatch names both hashes", async () => {
    const b = BUILT.t_echo;
    const pinned = "0".repeat(64);
    await assert.rejects(
      loadWasmPlugin({ path: b.path, sha256: pinned }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, "plugin:hash_mismatch");
        assert.ok(err.message.includes(pinned) && err.message.includes(b.sha256), err.message);
        return true;
      },
    );
  });
  const CASES = [
    ["ABI major mismatch", "h_abi2", {
      code: "plugin:abi",
      message: /ABI major 2; this host supports ABI major 1/,
    }],
    ["no aetherflow_describe", "h_nodescribe", {
      code: "plugin:missing_export",
      message: /aetherflow_describe/,
    }],
    ["declares steps without aetherflow_step", "h_noexport", {
      code: "plugin:missing_export",
      message: /does not export aetherflow_step/,
    }],
  ] as const;
  for (const [name, plugin, want] of CASES) {
    await t.step(name, async () => {
      await assert.rejects(load(plugin), { ...want, exitCode: 2 });
    });
  }
  await t.step("a read-only dir grant is refused (not enforceable)", async () => {
    await assert.rejects(load("t_echo", { dirs: { "/inbox": { path: ROOT, mode: "ro" } } }), {
      code: "plugin:grants",
      exitCode: 2,
    });
  });
});

Deno.test("a plugin that loops while its instance starts is stopped by timeout_ms at load time", async () => {
  // The start function runs while Extism instantiates the module, before any export is called.
  const bytes = await compileWat(
    "h_startloop",
    `(module (memory (export "memory") 1)
      (func $spin (loop $l (br $l))) (start $spin)
      (func (export "aetherflow_describe") (result i32) (i32.const 0)))`,
  );
  const path = join(ROOT, "h_startloop.wasm");
  await Deno.writeFile(path, bytes);
  // In a process of its own: Extism gives no handle on a worker stuck in `start`, so it spins until its process
  // exits — here the probe's, not the test runner's.
  const probe = new URL("../../testdata/plugins/_load_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      probe,
      path,
      await sha256Hex(bytes),
      JSON.stringify({ timeout_ms: 200 }),
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const result = JSON.parse(text.trim().split("\n").at(-1) ?? "{}");
  assert.equal(result.ok, false, text);
  assert.equal(result.code, "plugin:timeout");
  assert.match(result.message, /exceeded its timeout of 200 ms.*timeout_ms/);
  assert.equal(result.exitCode, 2);
});

Deno.test("af_connector_call path arguments cannot leave the granted directory", async (t) => {
  const calls: JsonObject[] = [];
  const connectors = {
    call(_resource: string, _method: string, args: JsonObject): Promise<JsonValue> {
      calls.push(args);
      return Promise.resolve(null);
    },
  };
  const inbox = join(ROOT, "inbox");
  await Deno.mkdir(inbox, { recursive: true });
  const p = await load("t_conn", {
    resources: ["r1"],
    files: "artifacts",
    dirs: { "/inbox/": { path: inbox, mode: "rw" } },
  });
  await withPlugins([p], async () => {
    await t.step("a guest dir written with a trailing slash maps below its host dir", async () => {
      calls.length = 0;
      await runStep(p, { resource: "r1", args: { local_path: "/inbox/_x/f.csv" } }, connectors);
      assert.deepEqual(calls, [{ local_path: join(inbox, "_x", "f.csv") }]);
    });
    // A plugin with file access can create such links itself (WASI path_symlink); the connector would follow
    // them on the host.
    await t.step("path arguments inside nested values are mapped, non-string ones refused", async () => {
      calls.length = 0;
      const nested = { files: [{ local_path: "/inbox/a.csv" }] };
      await runStep(p, { resource: "r1", args: nested }, connectors);
      assert.deepEqual(calls, [{ files: [{ local_path: join(inbox, "a.csv") }] }]);
      const refused: JsonObject[] = [{ files: [{ local_path: "/etc/passwd" }] }, {
        local_path: ["/etc/passwd"],
      }];
      for (const args of refused) {
        const { result } = await runStep(p, { resource: "r1", args }, connectors);
        assert.match(JSON.stringify(result.outputs), /not under a granted directory/);
      }
      assert.equal(calls.length, 1);
    });
    const CASES = [
      ["a symlink to a directory outside", "/etc", "/artifacts/link/passwd"],
      ["a dangling symlink to a file outside", join(ROOT, "nope.txt"), "/artifacts/link"],
    ] as const;
    for (const [name, target, guest] of CASES) {
      await t.step(`${name} is refused`, async () => {
        calls.length = 0;
        const artifactsDir = await Deno.makeTempDir({ dir: ROOT });
        await Deno.symlink(target, join(artifactsDir, "link"));
        const { ctx } = testStepContext({ artifactsDir, connectors });
        const def = pluginStepDefinition(p, p.descriptor.steps[0]!);
        const result = await def.run({ resource: "r1", args: { local_path: guest } }, ctx);
        assert.match(JSON.stringify(result.outputs), /not under a granted directory/);
        assert.deepEqual(calls, []);
      });
    }
  });
});

Deno.test("a plugin error message is bounded by max_output_bytes like its output", async () => {
  const prelude = await Deno.readTextFile(new URL("../../testdata/plugins/_prelude.wat", import.meta.url));
  const bytes = await compileWat(
    "h_bigerr",
    `(module ${prelude}
      (data (i32.const 0) "{\\"abi\\":1,\\"name\\":\\"h_bigerr\\",\\"version\\":\\"1.0.0\\",\\"steps\\":[{\\"type\\":\\"h_bigerr\\"}]}\\00")
      (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
      (func (export "aetherflow_step") (result i32)
        (call $error_set (call $alloc (i64.const 1048576))) (i32.const 1)))`,
  );
  const path = join(ROOT, "h_bigerr.wasm");
  await Deno.writeFile(path, bytes);
  const p = await loadWasmPlugin({
    path,
    sha256: await sha256Hex(bytes),
    grants: { max_output_bytes: 65536 },
  });
  await withPlugins([p], async () => {
    await assert.rejects(runStep(p, {}), (err: Error & { code?: string }) => {
      assert.equal(err.code, "plugin:output_cap");
      assert.match(
        err.message,
        /error message of 1048576 bytes.*output cap of 65536 bytes \(max_output_bytes\)/,
      );
      assert.ok(err.message.length < 1000);
      return true;
    });
  });
});

Deno.test("a secrets plugin logging what it decodes has the decoded value masked in that log line", async () => {
  const prelude = await Deno.readTextFile(new URL("../../testdata/plugins/_prelude.wat", import.meta.url));
  const bytes = await compileWat(
    "h_leaky_secrets",
    `(module ${prelude}
      (data (i32.const 0) "{\\"abi\\":1,\\"name\\":\\"h_leaky_secrets\\",\\"version\\":\\"1.0.0\\",\\"secrets\\":true}\\00")
      (data (i32.const 1024) "\\"value\\":\\00")
      (data (i32.const 1040) "{\\"value\\":\\"DEC(\\00")
      (data (i32.const 1064) ")\\"}\\00")
      (data (i32.const 1072) "{\\"message\\":\\"decoded DEC(\\00")
      (func (export "aetherflow_describe") (result i32) (call $out_cstr (i32.const 0)) (i32.const 0))
      (func $value (local $p i32)
        (local.set $p (call $field (i32.const 1024)))
        (call $ob_bytes (i32.add (local.get $p) (i32.const 1))
          (i32.sub (i32.sub (global.get $fend) (local.get $p)) (i32.const 2))))
      (func (export "aetherflow_decode") (result i32)
        (drop (call $read_input))
        (call $ob_reset) (call $ob_cstr (i32.const 1072)) (call $value) (call $ob_cstr (i32.const 1064))
        (call $log_ob)
        (call $ob_reset) (call $ob_cstr (i32.const 1040)) (call $value) (call $ob_cstr (i32.const 1064))
        (call $ob_output) (i32.const 0)))`,
  );
  const path = join(ROOT, "h_leaky_secrets.wasm");
  await Deno.writeFile(path, bytes);
  const lines: string[] = [];
  const p = await loadWasmPlugin({
    path,
    sha256: await sha256Hex(bytes),
    log: (level, message) => lines.push(`${level} ${message}`),
  });
  await withPlugins([p], async () => {
    assert.equal(await p.decode("s3cr3t"), "DEC(s3cr3t)");
    assert.deepEqual(lines, ["info decoded ***"]);
  });
});
