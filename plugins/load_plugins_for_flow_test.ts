// The flow loader: lock discovery, pinning rules, registration, secrets provider, modes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { StepRegistry } from "../engine/steps/registry.ts";
import { ConnectorRegistry } from "../engine/connectors/registry.ts";
import { ConnectorAccessor } from "../engine/connectors/accessor.ts";
import { buildPlugins, testStepContext } from "./_testing.ts";
import { loadPluginsForFlow, type LoadPluginsOptions } from "./load_plugins_for_flow.ts";
import type { PluginConnectorDefinition } from "./host/plugin_step.ts";
import { PLUGIN_LOCK_FILE, type PluginPin, writePluginLock } from "./lock/plugin_lock.ts";

const NAMES = [
  "t_echo",
  "_test_skip",
  "t_resources",
  "t_secrets",
  "t_conn",
  "h_abi2",
  "h_nodescribe",
] as const;
const ROOT = await Deno.makeTempDir({ prefix: "af-loader-" });
const BUILT = await buildPlugins(join(ROOT), NAMES);
globalThis.addEventListener("unload", () => Deno.removeSync(ROOT, { recursive: true }));

/** A flow dir with the lock beside the flow: pins are written with paths relative to the lock. */
async function flowDir(pins: PluginPin[]): Promise<{ dir: string; flowPath: string }> {
  const dir = await Deno.makeTempDir({ dir: ROOT });
  const flowPath = join(dir, "flow.yaml");
  await Deno.writeTextFile(flowPath, "flow: {id: demo}\njobs: []\n");
  if (pins.length > 0) await writePluginLock({ file: join(dir, PLUGIN_LOCK_FILE), plugins: pins });
  return { dir, flowPath };
}

function pin(name: typeof NAMES[number], extra: Partial<PluginPin> = {}): PluginPin {
  return { path: BUILT[name].path, sha256: BUILT[name].sha256, ...extra };
}

/** The resource both connector tests hand to t_resources, and what its echo method answers for it. */
const R1 = { kind: "test", driver: "t_resources", config: { token: "DEC(abc)" }, options: {}, decode: {} };

function r1Echo(method: string, args: unknown): Record<string, unknown> {
  return {
    resource: "r1",
    kind: R1.kind,
    driver: R1.driver,
    config: R1.config,
    options: R1.options,
    method,
    args,
  };
}

function opts(flowPath: string, extra: Partial<LoadPluginsOptions> = {}): LoadPluginsOptions {
  return { flowPath, snapshot: {}, registry: StepRegistry.withBuiltins(), mode: "internal_fast", ...extra };
}

Deno.test("loadPluginsForFlow() loads nothing when no plugin is configured", async () => {
  const { flowPath } = await flowDir([]);
  const loaded = await loadPluginsForFlow(opts(flowPath));
  assert.deepEqual(loaded.plugins, []);
  assert.equal(loaded.secrets, undefined);
  await loaded.close();
});

Deno.test("loadPluginsForFlow() does not import the Extism runtime when nothing is configured", async () => {
  const { dir, flowPath } = await flowDir([]);
  const probe = new URL("../testdata/plugins/_fast_path_probe.ts", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      // Settings defaults read the temp dir; Extism additionally reads EXTISM_ENABLE_WASI_OUTPUT at import.
      args: ["run", "--no-prompt", "--allow-read", "--allow-env=TMPDIR,TMP,TEMP", probe, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const fast = await run(flowPath);
  assert.equal(fast.code, 0, fast.text);
  assert.match(fast.text, /loaded 0/);
  // The control: with a plugin configured the runtime is imported, and it needs env access.
  const lockFile = join(dir, "pins.yaml");
  await writePluginLock({ file: lockFile, plugins: [pin("t_echo")] });
  const slow = await run(flowPath, lockFile);
  assert.notEqual(slow.code, 0);
  assert.match(slow.text, /env/i);
});

Deno.test("loadPluginsForFlow() registers steps and connectors from the lock beside the flow", async () => {
  const { flowPath } = await flowDir([pin("t_echo"), pin("_test_skip"), pin("t_resources")]);
  const registry = StepRegistry.withBuiltins();
  const registered: PluginConnectorDefinition[] = [];
  const loaded = await loadPluginsForFlow(
    opts(flowPath, { registry, connectors: { register: (d) => registered.push(d) } }),
  );
  try {
    assert.deepEqual(loaded.plugins.map((p) => [p.name, p.version, p.sha256]), [
      ["t_echo", "1.0.0", BUILT.t_echo.sha256],
      ["_test_skip", "1.0.0", BUILT._test_skip.sha256],
      ["t_resources", "1.0.0", BUILT.t_resources.sha256],
    ]);
    const echo = registry.get("t_echo");
    assert.equal(echo?.origin, "plugin:t_echo@1.0.0");
    const { ctx } = testStepContext({ artifactsDir: ROOT });
    assert.deepEqual(await echo!.run({ a: 1 }, ctx), { status: "SUCCESS", outputs: { a: 1 } });
    assert.deepEqual(registered.map((c) => `${c.kind}:${c.driver}`), ["test:t_resources"]);
    const connector = await registered[0]!.create({ name: "r1", ...R1 });
    assert.deepEqual(await connector.call!("echo", { n: 1 }), r1Echo("echo", { n: 1 }));
    await assert.rejects(connector.call!("nope", {}), { message: /has no method nope/ });
  } finally {
    await loaded.close();
  }
});

Deno.test("loadPluginsForFlow() refuses what is not pinned or does not match", async (t) => {
  await t.step("a file on AETHERFLOW_PLUGIN_PATHS without a pin", async () => {
    const { flowPath } = await flowDir([]);
    await assert.rejects(
      loadPluginsForFlow(opts(flowPath, { snapshot: { AETHERFLOW_PLUGIN_PATHS: BUILT.t_echo.path } })),
      {
        code: "plugin:unpinned",
        exitCode: 2,
        message: new RegExp(`not pinned \\(sha256 ${BUILT.t_echo.sha256}\\)`),
      },
    );
  });
  await t.step("a search-path file pinned by its bytes loads", async () => {
    const { flowPath } = await flowDir([{ path: "elsewhere.wasm", sha256: BUILT.t_echo.sha256 }]);
    const loaded = await loadPluginsForFlow(
      opts(flowPath, {
        snapshot: { AETHERFLOW_PLUGIN_PATHS: BUILT.t_echo.path, AETHERFLOW_PLUGIN_STRICT: "false" },
      }),
    );
    assert.deepEqual(loaded.plugins.map((p) => p.name), ["t_echo"]);
    await loaded.close();
  });
  await t.step("a pin whose sha256 differs", async () => {
    const { flowPath } = await flowDir([{ path: BUILT.t_echo.path, sha256: BUILT._test_skip.sha256 }]);
    await assert.rejects(loadPluginsForFlow(opts(flowPath)), { code: "plugin:hash_mismatch", exitCode: 2 });
  });
  await t.step("a pinned path that does not exist (strict)", async () => {
    const { flowPath } = await flowDir([{ path: "gone.wasm", sha256: BUILT.t_echo.sha256 }]);
    await assert.rejects(loadPluginsForFlow(opts(flowPath)), {
      code: "plugin:not_found",
      message: /gone\.wasm/,
    });
  });
  await t.step("ABI major and missing describe", async () => {
    for (
      const [name, code] of [["h_abi2", "plugin:abi"], ["h_nodescribe", "plugin:missing_export"]] as const
    ) {
      const { flowPath } = await flowDir([pin(name)]);
      await assert.rejects(loadPluginsForFlow(opts(flowPath)), { code, exitCode: 2 });
    }
  });
  await t.step("enterprise mode refuses lock-file plugins", async () => {
    const { flowPath } = await flowDir([pin("t_echo")]);
    await assert.rejects(loadPluginsForFlow(opts(flowPath, { mode: "enterprise" })), {
      code: "plugin:unpinned",
      exitCode: 2,
      message: /Enterprise mode accepts only plugins pinned in the bundle manifest/,
    });
  });
  await t.step("a connector that already exists", async () => {
    const { flowPath } = await flowDir([pin("t_resources")]);
    const connectors = new ConnectorRegistry();
    connectors.register({
      kind: "test",
      driver: "t_resources",
      origin: "builtin",
      create: () => ({ resource: "x" }),
    });
    await assert.rejects(loadPluginsForFlow(opts(flowPath, { connectors })), {
      exitCode: 2,
      message: "Connector test:t_resources already registered by builtin",
    });
  });
  await t.step("a step type that already exists", async () => {
    const { flowPath } = await flowDir([pin("t_echo")]);
    const registry = new StepRegistry();
    registry.register({ type: "t_echo", origin: "builtin", run: () => ({}) });
    await assert.rejects(loadPluginsForFlow(opts(flowPath, { registry })), {
      exitCode: 2,
      message: "Step type t_echo already registered by builtin",
    });
  });
});

Deno.test("loadPluginsForFlow() uses AETHERFLOW_PLUGIN_LOCK and provides the secrets plugin", async () => {
  const lockDir = await Deno.makeTempDir({ dir: ROOT });
  const lockFile = join(lockDir, "pins.json");
  await writePluginLock({ file: lockFile, plugins: [pin("t_secrets")] });
  const { flowPath } = await flowDir([]);
  const loaded = await loadPluginsForFlow(opts(flowPath, { snapshot: { AETHERFLOW_PLUGIN_LOCK: lockFile } }));
  try {
    assert.ok(loaded.secrets?.expandEnv);
    assert.equal(await loaded.secrets.decode("abc"), "DEC(abc)");
    assert.deepEqual(await loaded.secrets.expandEnv({ A: "1" }), { DERIVED: "derived", A: "1" });
    assert.deepEqual(await loaded.secrets.expandEnv({}), { DERIVED: "derived" });
  } finally {
    await loaded.close();
  }
});

Deno.test("loadPluginsForFlow() refuses a secrets plugin without aetherflow_decode", async () => {
  const { flowPath } = await flowDir([pin("t_echo")]);
  await assert.rejects(
    loadPluginsForFlow(opts(flowPath, { snapshot: { AETHERFLOW_SECRETS_PLUGIN: "t_echo" } })),
    { code: "plugin:missing_export", exitCode: 2, message: /does not export aetherflow_decode/ },
  );
});

Deno.test("a plugin step reaches a plugin connector through af_connector_call and the runner's accessor", async () => {
  const { flowPath } = await flowDir([pin("t_conn", { grants: { resources: ["r1"] } }), pin("t_resources")]);
  const registry = StepRegistry.withBuiltins();
  const connectors = ConnectorRegistry.withBuiltins();
  const loaded = await loadPluginsForFlow(opts(flowPath, { registry, connectors }));
  try {
    const accessor = new ConnectorAccessor({
      registry: connectors,
      resources: {
        r1: R1,
        r2: { kind: "test", driver: "t_resources", config: {}, options: {}, decode: {} },
      },
      settings: { connector_cache_disabled: false, connector_cache_default: "run" },
    });
    const { ctx } = testStepContext({ artifactsDir: ROOT, connectors: accessor });
    const step = registry.get("t_conn")!;
    const ok = await step.run({ resource: "r1", args: { q: 1 } }, ctx);
    assert.deepEqual(ok.outputs, { response: { result: r1Echo("echo", { q: 1 }) } });
    const denied = await step.run({ resource: "r2" }, ctx);
    assert.match(JSON.stringify(denied.outputs), /not granted/);
    await accessor.closeAll();
  } finally {
    await loaded.close();
  }
});
