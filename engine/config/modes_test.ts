import assert from "node:assert/strict";
import { refusedArchiveDriver, resolveMode } from "./modes.ts";

const MODE_CASES = [
  ["unset", {}, "internal_fast"],
  ["trimmed, any case", { AETHERFLOW_MODE: " Enterprise " }, "enterprise"],
  ["unknown value", { AETHERFLOW_MODE: "strict" }, "internal_fast"],
] as const;

Deno.test("resolveMode() reads AETHERFLOW_MODE", async (t) => {
  for (const [name, snap, want] of MODE_CASES) {
    await t.step(name, () => assert.equal(resolveMode(snap), want));
  }
});

Deno.test("refusedArchiveDriver() applies only to enterprise archive resources", () => {
  const allowList = ["zipfile", "pyzipper"];
  assert.deepStrictEqual(
    refusedArchiveDriver({ mode: "enterprise", kind: "archive", driver: "os", allowList }),
    [
      "pyzipper",
      "zipfile",
    ],
  );
  assert.equal(
    refusedArchiveDriver({ mode: "enterprise", kind: "archive", driver: "zipfile", allowList }),
    null,
  );
  assert.equal(
    refusedArchiveDriver({ mode: "internal_fast", kind: "archive", driver: "os", allowList }),
    null,
  );
  assert.equal(refusedArchiveDriver({ mode: "enterprise", kind: "db", driver: "os", allowList }), null);
  assert.deepStrictEqual(
    refusedArchiveDriver({ mode: "enterprise", kind: "archive", driver: "os", allowList: [] }),
    [],
  );
});
