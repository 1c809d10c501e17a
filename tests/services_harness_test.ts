// The test harness's own rules: when a missing service ignores a test and when it fails it, and the host key
// hash forms handed to SFTP tests.
import assert from "node:assert/strict";
import { join } from "node:path";
import { hostKeyHashes } from "../scripts/services/sshd.ts";
import { resolveService, type ServicesEnv } from "./_services.ts";
import { tempDir } from "./_helpers.ts";

const PG = {
  host: "127.0.0.1",
  port: 5,
  user: "postgres",
  password: "p",
  database: "app",
  url: "postgres://postgres:p@127.0.0.1:5/app",
  socketDir: "/s",
};

Deno.test("resolveService() ignores, fails or hands out a service as the harness said", async (t) => {
  const env: ServicesEnv = {
    scratch: "/x",
    persistent: false,
    processes: [],
    postgres: PG,
    missing: {
      mariadb: { reason: "package mariadb-server missing", fail: false },
      smb: { reason: "failed to start: smbd exited", fail: true },
    },
  };
  await t.step("present: not ignored, get() returns the info", () => {
    const ref = resolveService(env, "postgres");
    assert.equal(ref.ignore, false);
    assert.deepEqual(ref.get(), PG);
  });
  await t.step("missing for an accepted reason: ignored", () => {
    const ref = resolveService(env, "mariadb");
    assert.equal(ref.ignore, true);
    assert.match(ref.reason!, /mariadb-server/);
  });
  await t.step("the harness tried and failed: not ignored, get() throws the reason", () => {
    const ref = resolveService(env, "smb");
    assert.equal(ref.ignore, false);
    assert.throws(() => ref.get(), /smb unavailable: failed to start: smbd exited/);
  });
  await t.step("no harness at all: ignored, saying how to get the services", () => {
    const ref = resolveService(undefined, "sftp");
    assert.equal(ref.ignore, true);
    assert.match(ref.reason!, /deno task test|services start/);
  });
});

Deno.test("hostKeyHashes() matches ssh-keygen's fingerprint and gives ssh2's hex form", async () => {
  await using dir = await tempDir();
  const key = join(dir.path, "k");
  const gen = await new Deno.Command("ssh-keygen", { args: ["-q", "-t", "ed25519", "-N", "", "-f", key] })
    .output();
  if (!gen.success) throw new Error("ssh-keygen failed");
  const lf = await new Deno.Command("ssh-keygen", {
    args: ["-l", "-E", "sha256", "-f", `${key}.pub`],
    stdout: "piped",
  })
    .output();
  const fingerprint = new TextDecoder().decode(lf.stdout).split(" ")[1];
  const hashes = await hostKeyHashes(await Deno.readTextFile(`${key}.pub`));
  assert.equal(hashes.fingerprint, fingerprint);
  const fromB64 = Array.from(
    atob(fingerprint.slice(7) + "="),
    (c) => c.charCodeAt(0).toString(16).padStart(2, "0"),
  );
  assert.equal(hashes.hex, fromB64.join(""));
  assert.match(hashes.hex, /^[0-9a-f]{64}$/);
});
