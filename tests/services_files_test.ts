// The file servers of the test harness: OpenSSH SFTP through npm ssh2-sftp-client (TCP_NODELAY socket, pinned
// host key) for both users, and Samba through the Debian `smbclient` program (plain, signing, encryption).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
// @ts-types="@types/ssh2-sftp-client"
import SftpClient from "ssh2-sftp-client";
import { sftpDir, sftpService, smbDir, type SmbInfo, smbService, writeServedFile } from "./_services.ts";
import { tempDir } from "./_helpers.ts";

const sftp = sftpService();
const smb = smbService();

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** ssh2 never sets TCP_NODELAY; without it each SFTP round trip stalls ~40 ms (Nagle vs delayed ACK). */
async function sftpConnect(options: Record<string, unknown>, pinned: string): Promise<SftpClient> {
  const info = sftp.get();
  const sock = connect(info.port, info.host);
  sock.setNoDelay(true);
  await new Promise((ok, err) => {
    sock.once("connect", ok);
    sock.once("error", err);
  });
  const client = new SftpClient();
  try {
    await client.connect({
      host: info.host,
      port: info.port,
      sock,
      hostHash: "sha256",
      hostVerifier: (hash: string) => hash === pinned,
      readyTimeout: 30_000,
      ...options,
    });
  } catch (e) {
    sock.destroy();
    throw e;
  }
  return client;
}

Deno.test({
  name: "sftp: the chrooted password user sees only its chroot and transfers sha-exact",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  const u = info.passwordUser;
  await using dir = await sftpDir("password");
  const client = await sftpConnect({ username: u.user, password: u.password }, info.hostKeySha256Hex);
  try {
    assert.deepEqual((await client.list("/")).map((e) => e.name), ["data"]);
    assert.equal(await client.cwd(), u.home);
    const data = randomBytes(1 << 20);
    await client.put(Buffer.from(data), `${dir.remote}/a b ü.bin`);
    assert.equal(sha256(await Deno.readFile(join(dir.local, "a b ü.bin"))), sha256(data));
    await writeServedFile(dir, "seeded.txt", "seeded by the test\n");
    const back = await client.get(`${dir.remote}/seeded.txt`) as Uint8Array;
    assert.equal(new TextDecoder().decode(back), "seeded by the test\n");
    await client.delete(`${dir.remote}/seeded.txt`); // owned by the user: deletable
  } finally {
    await client.end();
  }
});

Deno.test({
  name: "sftp: the key user transfers sha-exact; a wrong pinned host key is refused",
  ignore: sftp.ignore,
}, async () => {
  const info = sftp.get();
  const u = info.keyUser;
  const privateKey = await Deno.readTextFile(u.privateKeyPath);
  await using dir = await sftpDir("key");
  const client = await sftpConnect({ username: u.user, privateKey }, info.hostKeySha256Hex);
  try {
    const data = randomBytes(300_000);
    await client.put(Buffer.from(data), `${dir.remote}/k.bin`);
    assert.equal(sha256(await client.get(`${dir.remote}/k.bin`) as Uint8Array), sha256(data));
  } finally {
    await client.end();
  }
  await assert.rejects(sftpConnect({ username: u.user, privateKey }, "0".repeat(64)), /verification failed/i);
  await assert.rejects(
    sftpConnect({ username: u.user, password: info.passwordUser.password }, info.hostKeySha256Hex),
    /authentication/i,
  );
});

async function smbclient(
  info: SmbInfo,
  args: string[],
  options: { password?: string; port?: number; maxProtocol?: string } = {},
): Promise<{ code: number; out: string }> {
  await using dir = await tempDir();
  const auth = join(dir.path, "auth");
  // Credentials in a 0600 file, never on the command line.
  await Deno.writeTextFile(
    auth,
    `username = ${info.user}\npassword = ${options.password ?? info.password}\ndomain = ${info.domain}\n`,
    { mode: 0o600 },
  );
  const out = await new Deno.Command("smbclient", {
    args: ["-A", auth, "-p", String(options.port ?? info.port), "-m", options.maxProtocol ?? "SMB3", ...args],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test({
  name: "smb: smbclient puts and gets sha-exact over SMB3, signed and encrypted",
  ignore: smb.ignore,
}, async (t) => {
  const info = smb.get();
  await using local = await tempDir();
  const data = randomBytes(2 << 20);
  const src = join(local.path, "src.bin");
  await Deno.writeFile(src, data);

  const CASES = [
    { name: "plain share", port: info.port, encrypted: false, protection: [] },
    {
      name: "signing-mandatory server",
      port: info.signingPort,
      encrypted: false,
      protection: ["--client-protection=sign"],
    },
    {
      name: "encrypted share",
      port: info.port,
      encrypted: true,
      protection: ["--client-protection=encrypt"],
    },
  ];
  for (const c of CASES) {
    await t.step(c.name, async () => {
      await using dir = await smbDir({ encrypted: c.encrypted });
      const back = join(local.path, `${c.name}.bin`);
      const r = await smbclient(info, [
        `//127.0.0.1/${dir.share}`,
        ...c.protection,
        "-c",
        `cd "${dir.remote}"; put "${src}" "a b ü.bin"; get "a b ü.bin" "${back}"; ls`,
      ], { port: c.port });
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /a b ü\.bin/);
      assert.equal(sha256(await Deno.readFile(join(dir.local, "a b ü.bin"))), sha256(data));
      assert.equal(sha256(await Deno.readFile(back)), sha256(data));
    });
  }
});

Deno.test({
  name: "smb: a wrong password and an SMB 2.1 client on the encrypted share are refused",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  const wrong = await smbclient(info, [`//127.0.0.1/${info.share}`, "-c", "ls"], { password: "wrong" });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /NT_STATUS_LOGON_FAILURE/);
  // SMB 2.1 has no encryption, so the share must refuse the tree connect.
  const clear = await smbclient(info, [`//127.0.0.1/${info.encryptedShare}`, "-c", "ls"], {
    maxProtocol: "SMB2_10",
  });
  assert.notEqual(clear.code, 0);
  assert.match(clear.out, /NT_STATUS_ACCESS_DENIED/);
});
