// smb:smbclient and smb:pysmb against the harness's Samba: every files method, every path form, signing and
// encryption, unicode and space names, permission denied, a wrong password, a missing program, a large file
// sha-exact (credentials never on a command line), and the server going away mid-transfer
// (docs/connectors.md "smb:smbclient, smb:pysmb").
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../engine/connectors/mod.ts";
import type { FilesConnector } from "../engine/connectors/kinds/files.ts";
import { smbDir, smbService, writeServedFile } from "./_services.ts";
import { tempDir } from "./_helpers.ts";
import { sha256File, writeRandomFile } from "./_files_kit.ts";
import { startTcpProxy } from "./_tcp_proxy.ts";

const smb = smbService();

async function withSmb<T>(
  driver: "smbclient" | "pysmb",
  config: Record<string, unknown>,
  fn: (c: FilesConnector, warnings: string[]) => Promise<T>,
  options: Record<string, unknown> = {},
): Promise<T> {
  const info = smb.get();
  const warnings: string[] = [];
  const acc = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      r: {
        kind: "smb",
        driver,
        config: {
          server: info.host,
          port: info.port,
          username: info.user,
          password: info.password,
          ...config,
        },
        options: { timeout: 20, ...options },
        decode: {},
      },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
    log: () => ({ debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} }),
  });
  try {
    return await fn(await acc.smb("r"), warnings);
  } finally {
    await acc.closeAll();
  }
}

Deno.test({
  name: "smb:smbclient: every files method and path form, unicode and space names",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using dir = await smbDir();
  await using local = await tempDir();
  const src = join(local.path, "src.csv");
  await Deno.writeTextFile(src, "id\n1\n");
  await withSmb("smbclient", { share: info.share }, async (c) => {
    const name = "a b ü 😀.csv";
    await c.upload({ local: src, remote: `${dir.remote}/new/sub/${name}` }); // parents created
    assert.equal(await Deno.readTextFile(join(dir.local, "new/sub", name)), "id\n1\n");
    // Every path form reaches the same file.
    for (
      const form of [
        `${dir.remote}/new/sub`,
        `/${dir.remote}/new/sub/`,
        `\\${dir.remote}\\new\\sub`,
        `${info.share}:/${dir.remote}/new/sub`,
        `${info.share}:\\${dir.remote}\\new\\sub`,
        `C:\\${dir.remote}\\new\\sub`,
        `\\\\${info.host}\\${info.share}\\${dir.remote}\\new\\sub`,
      ]
    ) {
      const entries = await c.list({ path: form });
      assert.deepEqual(entries.map((e) => [e.name, e.is_dir, e.size]), [[name, false, 5]], form);
      assert.equal(entries[0]!.path, `\\\\${info.host}\\${info.share}\\${dir.remote}\\new\\sub\\${name}`);
      const mtime = (await Deno.stat(join(dir.local, "new/sub", name))).mtime!.getTime() / 1000;
      assert.equal(entries[0]!.mtime, Math.floor(mtime), form);
    }
    const [sub] = await c.list({ path: `${dir.remote}/new` });
    assert.deepEqual([sub!.name, sub!.is_dir, sub!.size], ["sub", true, null]);
    // The listed UNC path downloads.
    const [entry] = await c.list({ path: `${dir.remote}/new/sub` });
    const back = join(local.path, 'back "q" ü.csv'); // a quote in a local name goes through an alias
    await c.download({ remote: entry!.path, local: back });
    assert.equal(await Deno.readTextFile(back), "id\n1\n");
    await c.write_bytes!({ path: `${dir.remote}/w/x.bin`, data: new Uint8Array([1, 2, 3]) });
    assert.deepEqual([...await c.read_bytes!({ path: `${dir.remote}/w/x.bin` })], [1, 2, 3]);
    await c.mkdir!({ path: `${dir.remote}/m` });
    await c.mkdir_recursive!({ path: `${dir.remote}/m/n/o` });
    assert.ok((await Deno.stat(join(dir.local, "m/n/o"))).isDirectory);
    await c.delete({ path: `${dir.remote}/m/n/o` }); // a directory
    await c.delete({ path: `${dir.remote}/w/x.bin` });
    await c.delete_recursive!({ path: `${dir.remote}/new` });
    assert.deepEqual([...Deno.readDirSync(dir.local)].map((e) => e.name).sort(), ["m", "w"]);
    await assert.rejects(
      c.delete({ path: `${dir.remote}/nope.txt` }),
      /SMB delete .*nope\.txt failed: no such file/,
    );
    assert.match(await (c as FilesConnector & { probe(): Promise<string> }).probe(), /logged in as afsmb/);
  });
  assert.deepEqual([...Deno.readDirSync(local.path)].map((e) => e.name).sort(), [
    'back "q" ü.csv',
    "src.csv",
  ]);
});

Deno.test({
  name: "smb:pysmb: share from the SHARE: prefix, <remote_dir>/<name> paths, delete only logs",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using dir = await smbDir();
  await writeServedFile(dir, "sub/c.csv", "c");
  await withSmb("pysmb", {}, async (c, warnings) => {
    const remoteDir = `${info.share}:/${dir.remote}/sub/`;
    const entries = await c.list({ path: remoteDir });
    assert.deepEqual(entries.map((e) => [e.path, e.name, e.size]), [[
      `${info.share}:/${dir.remote}/sub/c.csv`,
      "c.csv",
      1,
    ]]);
    await c.delete({ path: `${info.share}:/${dir.remote}/sub/missing.csv` });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /SMB delete .*missing\.csv failed: no such file/);
    await assert.rejects(
      c.list({ path: `/${dir.remote}` }),
      /smb-pysmb path requires a share \(set config\.share or use 'SHARE:\/path'\)/,
    );
    // UNC: the share is taken from the path only because config.share is empty.
    assert.equal((await c.list({ path: `\\\\elsewhere\\${info.share}\\${dir.remote}\\sub` })).length, 1);
  });
  await withSmb("smbclient", {}, async (c) => {
    await assert.rejects(
      c.list({ path: dir.remote }),
      /SMB path requires a share \(set config\.share or use 'SHARE:\/path' form\)/,
    );
  });
});

Deno.test({
  name: "smb: signing-mandatory server and encrypted share; wrong password, permission denied, no program",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using enc = await smbDir({ encrypted: true });
  await using dir = await smbDir();
  await using local = await tempDir();
  const src = join(local.path, "s.txt");
  await Deno.writeTextFile(src, "signed\n");
  await withSmb("smbclient", { share: info.share, port: info.signingPort, protection: "sign" }, async (c) => {
    await c.upload({ local: src, remote: `${dir.remote}/signed.txt` });
  });
  assert.equal(await Deno.readTextFile(join(dir.local, "signed.txt")), "signed\n");
  await withSmb("pysmb", { share: info.encryptedShare, protection: "encrypt" }, async (c) => {
    await c.upload({ local: src, remote: `${enc.remote}/e.txt` });
    assert.equal((await c.list({ path: enc.remote })).length, 1);
  });

  const wrong = "wrong-pw-4711";
  const err = await withSmb("smbclient", { share: info.share, password: wrong }, (c) => c.list({ path: "/" }))
    .catch((e) => e as Error);
  assert.ok(err instanceof Error);
  assert.match(
    err.message,
    /^SMB list \/ failed: login failed \(wrong user or password\) \(NT_STATUS_LOGON_FAILURE\)/,
  );
  assert.ok(!err.message.includes(wrong) && !err.message.includes(info.password));

  // A root-owned directory inside the share: the user may read it, not write.
  const locked = join(dir.local, "locked");
  await Deno.mkdir(locked, { mode: 0o755 });
  await withSmb("smbclient", { share: info.share }, async (c) => {
    await assert.rejects(
      c.upload({ local: src, remote: `${dir.remote}/locked/x.txt` }),
      /SMB upload .*locked\/x\.txt failed: permission denied \(NT_STATUS_ACCESS_DENIED\)/,
    );
  });
  assert.deepEqual([...Deno.readDirSync(locked)], []);

  await withSmb("smbclient", { share: info.share }, async (c) => {
    await assert.rejects(
      c.list({ path: "/" }),
      /needs the '\/nonexistent\/smbclient' program, which is not installed or not on PATH \(Debian\/Ubuntu: apt-get install smbclient\)/,
    );
  }, { smbclient: "/nonexistent/smbclient" });
});

Deno.test({
  name: "smb: a 110 MB file round-trips sha-exact; no password on any command line, no auth file left",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using dir = await smbDir();
  await using local = await tempDir();
  const src = join(local.path, "big.bin");
  const want = await writeRandomFile(src, 110 << 20);
  const seen: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const e of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(e.name)) continue;
        const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
        if (cmd.includes("smbclient") && cmd.includes(`${info.port}`)) seen.push(cmd.replaceAll("\0", " "));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await withSmb("smbclient", { share: info.share }, async (c) => {
      await c.upload({ local: src, remote: `${dir.remote}/big.bin` });
      assert.equal(await sha256File(join(dir.local, "big.bin")), want);
      await c.download({ remote: `${dir.remote}/big.bin`, local: join(local.path, "back.bin") });
      assert.equal(await sha256File(join(local.path, "back.bin")), want);
    });
  } finally {
    watching = false;
    await watcher;
  }
  assert.ok(seen.length > 0, "the transfers were observed");
  for (const cmd of seen) {
    assert.ok(!cmd.includes(info.password), "no password on a command line");
    const auth = /-A (\S+)/.exec(cmd)?.[1];
    assert.ok(auth, cmd);
    await assert.rejects(Deno.stat(auth), Deno.errors.NotFound); // removed after the run
  }
});

Deno.test({
  name: "smb: the server going away mid-transfer fails the call and leaves no complete-looking file",
  ignore: smb.ignore,
}, async () => {
  const info = smb.get();
  await using dir = await smbDir();
  await using local = await tempDir();
  const src = join(local.path, "big.bin");
  await writeRandomFile(src, 24 << 20);
  {
    await using proxy = await startTcpProxy(info, { cutAfterBytes: { up: 6 << 20 } });
    await withSmb("smbclient", { share: info.share, port: proxy.port }, async (c) => {
      await assert.rejects(
        c.upload({ local: src, remote: `${dir.remote}/big.bin` }),
        /SMB upload .*big\.bin failed/,
      );
    });
  }
  assert.deepEqual([...Deno.readDirSync(dir.local)].filter((e) => e.name === "big.bin"), []);
  await Deno.copyFile(src, join(dir.local, "full.bin"));
  await Deno.chown(join(dir.local, "full.bin"), dir.uid, dir.gid);
  {
    await using proxy = await startTcpProxy(info, { cutAfterBytes: { down: 6 << 20 } });
    await withSmb("smbclient", { share: info.share, port: proxy.port }, async (c) => {
      await assert.rejects(
        c.download({ remote: `${dir.remote}/full.bin`, local: join(local.path, "down.bin") }),
        /SMB download/,
      );
    });
  }
  assert.deepEqual([...Deno.readDirSync(local.path)].map((e) => e.name), ["big.bin"]);
});
