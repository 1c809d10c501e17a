import assert from "node:assert/strict";
import { join } from "node:path";
import { LockDirError, tryItemLock } from "./lock_file.ts";

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

Deno.test("tryItemLock() creates a private dir (0700) and lock file (0600), and tightens an open dir of ours", async () => {
  const root = await Deno.makeTempDir({ prefix: "af-lock-" });
  try {
    const dir = join(root, "a", "locks");
    (await tryItemLock(dir, "x"))?.release();
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(join(dir, "aetherflow-x.lock"))).mode! & 0o777, 0o600);
    await Deno.chmod(dir, 0o777);
    (await tryItemLock(dir, "x"))?.release();
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tryItemLock() never follows a planted symlink (lock file or lock dir)", async () => {
  const root = await Deno.makeTempDir({ prefix: "af-lock-" });
  try {
    const dir = join(root, "locks");
    await Deno.mkdir(dir, { mode: 0o700 });
    const target = join(root, "victim");
    await Deno.symlink(target, join(dir, "aetherflow-x.lock"));
    await assert.rejects(tryItemLock(dir, "x"), LockDirError, "symbolic link");
    await assert.rejects(Deno.stat(target), Deno.errors.NotFound, "nothing created at the symlink's target");
    const linkDir = join(root, "linkdir");
    await Deno.symlink(dir, linkDir);
    await assert.rejects(tryItemLock(linkDir, "y"), LockDirError, "symbolic link");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "tryItemLock() refuses a lock dir owned by another user (it could hold or swap our locks)",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "af-lock-" });
    try {
      const dir = join(root, "locks");
      await Deno.mkdir(dir, { mode: 0o700 });
      await Deno.chown(dir, 61234, 61234);
      await assert.rejects(tryItemLock(dir, "x"), LockDirError, "owned by uid 61234");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
