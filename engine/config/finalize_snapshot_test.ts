import assert from "node:assert/strict";
import { finalizeSnapshot } from "./finalize_snapshot.ts";
import { prefixProvider } from "./secrets.ts";

Deno.test("finalizeSnapshot() applies expand_env, then sets engine keys from the rendered workspace root", async () => {
  const snap = await finalizeSnapshot({ BASE: "/srv" }, {
    workspaceRoot: "{{env.BASE}}/{{env.DERIVED}}",
    secrets: prefixProvider({ extraEnv: { DERIVED: "ws" } }),
  });
  assert.equal(snap.DERIVED, "ws");
  assert.equal(snap.AETHERFLOW_LOCAL_ROOT_DIR, "/srv/ws");
  assert.equal(snap.AETHERFLOW_ACTIVE_DIR, "/srv/ws");
  assert.equal(snap.AETHERFLOW_CACHE_DIR, "/srv/ws");
  assert.ok(Object.isFrozen(snap));
});

Deno.test("finalizeSnapshot() prefers the bundle dirs and skips keys when the root cannot render", async () => {
  const bundled = await finalizeSnapshot({}, {
    workspaceRoot: "/w",
    bundle: { activeDir: "/a", cacheDir: "/c" },
  });
  assert.deepStrictEqual(
    [bundled.AETHERFLOW_LOCAL_ROOT_DIR, bundled.AETHERFLOW_ACTIVE_DIR, bundled.AETHERFLOW_CACHE_DIR],
    ["/a", "/a", "/c"],
  );
  const broken = await finalizeSnapshot({ A: "1" }, { workspaceRoot: "{{ env.broken }}" });
  assert.deepStrictEqual(broken, { A: "1" });
});
