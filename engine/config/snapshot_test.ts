import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { buildSnapshot, withSnapshotChanges } from "./snapshot.ts";

Deno.test("buildSnapshot() overlays AETHERFLOW_ENV_FILES_JSON files on the env and freezes the result", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.env"), "ORA_PASS=x1\nHOME=/override\n");
    const env = {
      HOME: "/home/u",
      KEEP: "k",
      AETHERFLOW_ENV_FILES_JSON: JSON.stringify([{ type: "dotenv", path: "a.env" }]),
    };
    const snap = buildSnapshot({ env, cwd: dir });
    assert.equal(snap.ORA_PASS, "x1");
    assert.equal(snap.HOME, "/override");
    assert.equal(snap.KEEP, "k");
    assert.ok(Object.isFrozen(snap));
    assert.equal(env.HOME, "/home/u", "input env untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildSnapshot() ignores an empty AETHERFLOW_ENV_FILES_JSON", () => {
  assert.deepStrictEqual(buildSnapshot({ env: { AETHERFLOW_ENV_FILES_JSON: "  " } }), {
    AETHERFLOW_ENV_FILES_JSON: "  ",
  });
});

Deno.test("buildSnapshot() rejects a non-list AETHERFLOW_ENV_FILES_JSON", async (t) => {
  for (const text of ['{"type":"dotenv"}', "not json", "1"]) {
    await t.step(text, () => {
      assert.throws(
        () => buildSnapshot({ env: { AETHERFLOW_ENV_FILES_JSON: text } }),
        (err: unknown) =>
          err instanceof UsageError && err.exitCode === 2 &&
          err.message === "AETHERFLOW_ENV_FILES_JSON must be a JSON list",
      );
    });
  }
});

Deno.test("withSnapshotChanges() sets and removes keys without touching the original", () => {
  const snap = buildSnapshot({ env: { A: "1", B: "2" } });
  const next = withSnapshotChanges(snap, { A: undefined, C: "3" });
  assert.deepStrictEqual(next, { B: "2", C: "3" });
  assert.deepStrictEqual(snap, { A: "1", B: "2" });
  assert.ok(Object.isFrozen(next));
});
