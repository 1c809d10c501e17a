// The test harness's own rules: when a missing service ignores a test and when it fails it, and the host key
// hash forms handed to SFTP tests.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  processStartTime,
  ServiceStartError,
  spawnServer,
  stopProcess,
  waitReady,
  withFreePort,
} from "../scripts/services/_process.ts";
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

Deno.test("waitReady() names the service, how it ended and its log when a server dies before it is ready", async () => {
  await using dir = await tempDir();
  const server = await spawnServer("demo", {
    cmd: "sh",
    args: ["-c", "echo boom: port in use; exit 3"],
    log: join(dir.path, "d.log"),
  });
  await assert.rejects(waitReady(server, () => Promise.resolve(false)), (e: ServiceStartError) => {
    assert.equal(e.exitedEarly, true);
    assert.match(
      e.message,
      /^demo: server exited with code 3 before it was ready; log .*d\.log:\nboom: port in use$/,
    );
    return true;
  });
});

Deno.test("waitReady() gives up at its deadline; stopProcess() then leaves no process behind", async () => {
  await using dir = await tempDir();
  const server = await spawnServer("sleeper", {
    cmd: "sh",
    args: ["-c", "sleep 60 & sleep 60"],
    log: join(dir.path, "s.log"),
  });
  await assert.rejects(waitReady(server, () => Promise.resolve(false), 50), /sleeper: not ready after 50 ms/);
  await stopProcess({ service: server.name, pid: server.pid, startTime: server.startTime }, "SIGTERM");
  assert.equal(await processStartTime(server.pid), undefined);
  await server.exited;
  // The backgrounded `sleep` was in the server's process group: gone too (zombies await init's reaping).
  const ps = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-g", String(server.pid)],
    stdout: "piped",
  }).output();
  const live = new TextDecoder().decode(ps.stdout).split("\n").filter((s) => s.trim() && !s.startsWith("Z"));
  assert.deepEqual(live, []);
});

Deno.test("withFreePort() retries on a fresh port only when the server died early", async () => {
  const ports: number[] = [];
  const result = await withFreePort((port) => {
    ports.push(port);
    if (ports.length < 2) throw new ServiceStartError("x", "died", { exitedEarly: true });
    return Promise.resolve("up");
  });
  assert.equal(result, "up");
  assert.equal(ports.length, 2);
  await assert.rejects(withFreePort(() => Promise.reject(new ServiceStartError("x", "slow"))), /x: slow/);
});
