// sftp:paramiko against the harness's OpenSSH server: both auth kinds, host key pinning, every method of the
// files contract, unicode and space names, permission denied, a wrong password, a large file sha-exact, and
// the server going away mid-transfer (docs/connectors.md "sftp:paramiko").
import assert from "node:assert/strict";
import { join } from "node:path";
import { createSftp, SFTP_CONFIG, SFTP_OPTIONS } from "../engine/connectors/drivers/sftp_paramiko.ts";
import { sftpDir, sftpService, writeServedFile } from "./_services.ts";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";
import { sha256File, writeRandomFile } from "./_files_kit.ts";
import { startTcpProxy } from "./_tcp_proxy.ts";

const sftp = sftpService();

function sftpConnector(
  config: Record<string, unknown>,
  options: Record<string, unknown> = {},
  signal = new AbortController().signal,
) {
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
  const c = createSftp("r", SFTP_CONFIG.parse(config), SFTP_OPTIONS.parse(options), { log, signal });
  return Object.assign(c, { warnings, [Symbol.asyncDispose]: () => c.close!() as Promise<void> });
}

function passwordConfig(extra: Record<string, unknown> = {}) {
  const info = sftp.get();
  return {
    host: info.host,
    port: info.port,
    user: info.passwordUser.user,
    password: info.passwordUser.password,
    host_key_fingerprint: info.hostKeyFingerprint,
    ...extra,
  };
}

Deno.test({
  name: "sftp:paramiko: every files method on the chrooted password user, unicode and space names",
  ignore: sftp.ignore,
}, async () => {
  await using dir = await sftpDir("password");
  await using local = await tempDir();
  await using c = sftpConnector(passwordConfig());
  const name = "a b ü 😀.csv";
  const src = join(local.path, "src.csv");
  await Deno.writeTextFile(src, "id,name\n1,x\n");
  await c.upload({ local: src, remote: `${dir.remote}/new/sub/${name}` }); // parents created
  assert.equal(await Deno.readTextFile(join(dir.local, "new/sub", name)), "id,name\n1,x\n");
  const entries = await c.list({ path: `${dir.remote}/new/` });
  assert.deepEqual(entries.map((e) => ({ ...e, mtime: typeof e.mtime })), [{
    path: `${dir.remote}/new/sub`,
    name: "sub",
    is_dir: true,
    size: null,
    mtime: "number",
  }]);
  const [file] = await c.list({ path: `${dir.remote}/new/sub` });
  assert.equal(file!.name, name);
  assert.equal(file!.size, 12);
  assert.equal(
    file!.mtime,
    Math.floor((await Deno.stat(join(dir.local, "new/sub", name))).mtime!.getTime() / 1000),
  );

  const back = join(local.path, "back ü.csv");
  await c.download({ remote: file!.path, local: back });
  assert.equal(await Deno.readTextFile(back), "id,name\n1,x\n");
  assert.deepEqual([...Deno.readDirSync(local.path)].map((e) => e.name).sort(), ["back ü.csv", "src.csv"]);

  await c.write_bytes!({ path: `${dir.remote}/w/x.bin`, data: new Uint8Array([1, 2, 3]) });
  assert.deepEqual([...await c.read_bytes!({ path: `${dir.remote}/w/x.bin` })], [1, 2, 3]);
  await c.mkdir!({ path: `${dir.remote}/m` });
  await c.mkdir_recursive!({ path: `${dir.remote}/m/n/o` });
  assert.ok((await Deno.stat(join(dir.local, "m/n/o"))).isDirectory);
  await c.delete({ path: `${dir.remote}/m/n/o` }); // a directory: removed as one
  await c.delete({ path: `${dir.remote}/w/x.bin` });
  await c.delete_recursive!({ path: `${dir.remote}/new` });
  assert.deepEqual([...Deno.readDirSync(dir.local)].map((e) => e.name).sort(), ["m", "w"]);
  // chacha20-poly1305 is negotiated first: AES-GCM through node:crypto costs far more client CPU per byte.
  assert.match(await c.probe(), /logged in as afsftp\S* \(cipher chacha20-poly1305@openssh\.com\), listed/);
  assert.deepEqual(c.warnings, []); // pinned: no warning
});

Deno.test({
  name: "sftp:paramiko: key auth; an unpinned host key is accepted with one warning naming it",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("key");
  await writeServedFile(dir, "k.txt", "key user\n");
  await using c = sftpConnector({
    host: info.host,
    port: info.port,
    user: info.keyUser.user,
    pkey_path: info.keyUser.privateKeyPath,
  });
  assert.deepEqual((await c.list({ path: dir.remote })).map((e) => e.path), [`${dir.remote}/k.txt`]);
  await c.list({ path: dir.remote });
  assert.equal(c.warnings.length, 1);
  // A literal search: a base64 fingerprint may hold several `+` (and `/`), which a RegExp would misread.
  assert.ok(c.warnings[0]!.includes(`not verified (accepted ${info.hostKeyFingerprint})`), c.warnings[0]);
  // The hex form pins too.
  await using hex = sftpConnector({
    host: info.host,
    port: info.port,
    user: info.keyUser.user,
    pkey_path: info.keyUser.privateKeyPath,
    host_key_fingerprint: [info.hostKeySha256Hex],
  });
  assert.equal((await hex.list({ path: dir.remote })).length, 1);
});

Deno.test({
  name:
    "sftp:paramiko: wrong host key, wrong password, missing file, permission denied: clear errors, no secret",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("password");
  await using local = await tempDir();
  await using wrongKey = sftpConnector(passwordConfig({ host_key_fingerprint: "0".repeat(64) }));
  await assert.rejects(
    wrongKey.list({ path: dir.remote }),
    new RegExp(`host key of 127\\.0\\.0\\.1:${info.port} is SHA256:.*not config\\.host_key_fingerprint`),
  );
  const badPassword = "not-the-password-4711";
  await using wrongPw = sftpConnector(passwordConfig({ password: badPassword }));
  const err = await wrongPw.list({ path: dir.remote }).catch((e) => e as Error);
  assert.ok(err instanceof Error);
  assert.match(err.message, new RegExp(`^SFTP login failed for afsftp@127\\.0\\.0\\.1:${info.port}`));
  assert.ok(!err.message.includes(badPassword) && !err.message.includes(info.passwordUser.password));

  await using c = sftpConnector(passwordConfig());
  await assert.rejects(
    c.download({ remote: `${dir.remote}/missing.csv`, local: join(local.path, "m.csv") }),
    new RegExp(`^AetherflowError: SFTP download ${dir.remote}/missing\\.csv failed: .*No such file`),
  );
  await assert.rejects(c.list({ path: `${dir.remote}/nope` }), /SFTP list .*\/nope failed: .*No such file/);
  const src = join(local.path, "x.txt");
  await Deno.writeTextFile(src, "x");
  // The chroot itself is root-owned: the user may not write there.
  await assert.rejects(
    c.upload({ local: src, remote: "/x.txt" }),
    /SFTP upload \/x\.txt failed: .*Permission denied/,
  );
  await assert.rejects(c.delete({ path: "/data" }), /SFTP delete \/data failed/);
  assert.deepEqual([...Deno.readDirSync(local.path)].map((e) => e.name), ["x.txt"]); // no .part left
});

Deno.test({
  name: "sftp:paramiko: a 120 MB file round-trips sha-exact",
  ignore: sftp.ignore,
}, async () => {
  await using dir = await sftpDir("password");
  await using local = await tempDir();
  const src = join(local.path, "big.bin");
  const want = await writeRandomFile(src, 120 << 20);
  await using c = sftpConnector(passwordConfig());
  await c.upload({ local: src, remote: `${dir.remote}/big.bin` });
  assert.equal(await sha256File(join(dir.local, "big.bin")), want);
  const back = join(local.path, "back.bin");
  await c.download({ remote: `${dir.remote}/big.bin`, local: back });
  assert.equal(await sha256File(back), want);
});

Deno.test({
  name:
    "sftp:paramiko: the server going away mid-transfer fails the call and leaves no complete-looking file",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  await using dir = await sftpDir("password");
  await using local = await tempDir();
  const src = join(local.path, "big.bin");
  await writeRandomFile(src, 24 << 20);
  {
    await using proxy = await startTcpProxy(info, { cutAfterBytes: { up: 6 << 20 } });
    await using c = sftpConnector(passwordConfig({ port: proxy.port }));
    await assert.rejects(
      c.upload({ local: src, remote: `${dir.remote}/big.bin` }),
      /^AetherflowError: SFTP upload .*big\.bin failed/,
    );
    await proxy.cutDone;
  }
  assert.deepEqual([...Deno.readDirSync(dir.local)].filter((e) => e.name === "big.bin"), []);
  // A complete file on the server, a download cut halfway: no local file under the target name.
  await Deno.copyFile(src, join(dir.local, "full.bin"));
  await Deno.chown(join(dir.local, "full.bin"), dir.uid, dir.gid);
  {
    await using proxy = await startTcpProxy(info, { cutAfterBytes: { down: 6 << 20 } });
    await using c = sftpConnector(passwordConfig({ port: proxy.port }));
    const target = join(local.path, "down.bin");
    await assert.rejects(c.download({ remote: `${dir.remote}/full.bin`, local: target }), /SFTP download/);
    assert.deepEqual([...Deno.readDirSync(local.path)].map((e) => e.name), ["big.bin"]);
  }
});

Deno.test({
  name: "sftp:paramiko: a server that accepts but never speaks SSH fails after options.timeout",
  ignore: sftp.ignore,
}, async () => {
  const { createServer } = await import("node:net");
  const accepted = new Set<import("node:net").Socket>();
  const silent = createServer((sock) => accepted.add(sock)); // accepts, says nothing
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    await using c = sftpConnector(passwordConfig({ port }), { timeout: 1 });
    await assert.rejects(
      c.list({ path: "/" }),
      new RegExp(`SFTP cannot connect to 127\\.0\\.0\\.1:${port}: .*(timed out|Timed out)`),
    );
  } finally {
    // The client side was destroyed by the driver; drop the server's half too.
    for (const sock of accepted) sock.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

Deno.test({
  name: "sftp:paramiko: options.ciphers replaces the offered order; the data arrives intact",
  ignore: sftp.ignore,
}, async () => {
  await using dir = await sftpDir("password");
  await using local = await tempDir();
  await using c = sftpConnector(passwordConfig(), { ciphers: ["aes256-ctr", "aes128-gcm@openssh.com"] });
  const src = join(local.path, "src.bin");
  const want = await writeRandomFile(src, 3 << 20);
  await c.upload({ local: src, remote: `${dir.remote}/x.bin` });
  assert.equal(await sha256File(join(dir.local, "x.bin")), want);
  await c.download({ remote: `${dir.remote}/x.bin`, local: join(local.path, "back.bin") });
  assert.equal(await sha256File(join(local.path, "back.bin")), want);
  assert.match(await c.probe(), /\(cipher aes256-ctr\)/);
});

Deno.test("sftp:paramiko: an unknown name in options.ciphers is a validation error with its location", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n",
    {
      resources: "  files: {kind: sftp, driver: paramiko, config: {host: 127.0.0.1, user: u, password: p}, " +
        "options: {ciphers: [aes128-ctr, arcfour]}}",
    },
  );
  const r = await runCli(["validate", flow]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /resources\.files\.options\.ciphers: .*unknown SSH cipher "arcfour".*f\.yaml:\d+:\d+/,
  );
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /); // no stack trace
});
