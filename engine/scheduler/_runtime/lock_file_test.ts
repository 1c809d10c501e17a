import assert from "node:assert/strict";
import { tryItemLock } from "./lock_file.ts";

Deno.test("tryItemLock() is exclusive per item until released", async () => {
  const dir = await Deno.makeTempDir({ prefix: "af-lock-" });
  try {
    const first = await tryItemLock(dir, "nightly");
    assert.ok(first);
    assert.equal(await tryItemLock(dir, "nightly"), null);
    const other = await tryItemLock(dir, "hourly");
    assert.ok(other);
    first.release();
    const again = await tryItemLock(dir, "nightly");
    assert.ok(again);
    again.release();
    other.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
