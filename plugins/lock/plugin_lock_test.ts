import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findPluginLock,
  PLUGIN_LOCK_FILE,
  type PluginLock,
  readPluginLock,
  resolvePins,
  upsertPin,
  writePluginLock,
} from "./plugin_lock.ts";

const SHA = "a".repeat(64);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "af-lock-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readPluginLock() reads YAML and JSON with paths relative to the lock file", async (t) => {
  const CASES = [
    [
      "yaml",
      "l.yaml",
      `version: 1\nplugins:\n  - path: p/x.wasm\n    sha256: ${SHA}\n    grants: {hosts: [a.example]}\n`,
    ],
    [
      "json",
      "l.json",
      JSON.stringify({
        version: 1,
        plugins: [{ path: "p/x.wasm", sha256: SHA, grants: { hosts: ["a.example"] } }],
      }),
    ],
  ] as const;
  for (const [name, file, text] of CASES) {
    await t.step(name, () =>
      withDir(async (dir) => {
        await Deno.writeTextFile(join(dir, file), text);
        const pins = resolvePins(await readPluginLock(join(dir, file)));
        assert.deepEqual(pins, [{
          path: join(dir, "p/x.wasm"),
          sha256: SHA,
          grants: { hosts: ["a.example"] },
          run: "worker",
          source: join(dir, file),
        }]);
      }));
  }
});

Deno.test("readPluginLock() refuses bad pins and unknown keys (exit 2)", async (t) => {
  const CASES = [
    [
      "uppercase sha256",
      `version: 1\nplugins: [{path: x.wasm, sha256: ${"A".repeat(64)}}]`,
      /plugins\.0\.sha256/,
    ],
    [
      "mistyped grant",
      `version: 1\nplugins: [{path: x.wasm, sha256: ${SHA}, grants: {host: [a]}}]`,
      /grants/,
    ],
    ["unknown version", `version: 2\nplugins: []`, /version/],
    ["not YAML", `version: [`, /Invalid plugin lock/],
  ] as const;
  for (const [name, text, message] of CASES) {
    await t.step(name, () =>
      withDir(async (dir) => {
        await Deno.writeTextFile(join(dir, "l.yaml"), text);
        await assert.rejects(readPluginLock(join(dir, "l.yaml")), {
          code: "plugin:lock",
          exitCode: 2,
          message,
        });
      }));
  }
});

Deno.test("findPluginLock() prefers AETHERFLOW_PLUGIN_LOCK, else the file beside the flow", () =>
  withDir(async (dir) => {
    const flowPath = join(dir, "flow.yaml");
    assert.equal(await findPluginLock({ flowPath, snapshot: {} }), null);
    await Deno.writeTextFile(join(dir, PLUGIN_LOCK_FILE), "version: 1\n");
    assert.equal(await findPluginLock({ flowPath, snapshot: {} }), join(dir, PLUGIN_LOCK_FILE));
    await Deno.writeTextFile(join(dir, "other.json"), `{"version":1}`);
    const snapshot = { AETHERFLOW_PLUGIN_LOCK: "other.json" };
    assert.equal(await findPluginLock({ flowPath, snapshot, cwd: dir }), join(dir, "other.json"));
    await assert.rejects(
      findPluginLock({ flowPath, snapshot: { AETHERFLOW_PLUGIN_LOCK: "nope.yaml" }, cwd: dir }),
      {
        code: "plugin:lock",
        message: /Plugin lock not found: .*nope\.yaml/,
      },
    );
  }));

Deno.test("upsertPin() replaces the entry for the same path and keeps its grants", () =>
  withDir(async (dir) => {
    const file = join(dir, PLUGIN_LOCK_FILE);
    let lock: PluginLock = {
      file,
      plugins: [{ path: "x.wasm", sha256: SHA, grants: { resources: ["r1"] } }],
    };
    lock = upsertPin(lock, { path: join(dir, "x.wasm"), sha256: "b".repeat(64) });
    lock = upsertPin(lock, { path: "y.wasm", sha256: SHA });
    await writePluginLock(lock);
    const back = await readPluginLock(file);
    assert.deepEqual(back.plugins, [
      { path: join(dir, "x.wasm"), sha256: "b".repeat(64), grants: { resources: ["r1"] } },
      { path: "y.wasm", sha256: SHA },
    ]);
  }));
