// File transfer benchmarks, printed as throughput ratios against the reference clients measured in the same run
// on the same servers (the test harness's sshd and Samba on loopback):
//   F1  SFTP upload and download of one --mb file (default 200 MB) through sftp:paramiko (connect included) vs
//       the OpenSSH `sftp` program in batch mode (goal ≥ 0.7× its throughput).
//   F2  SMB upload and download of the same file through smb:smbclient vs running `smbclient` directly with
//       the same put/get (goal ≥ 0.8×).
// Each series runs --rounds times, interleaved, and the fastest round counts (the host is shared; the minimum is
// the least disturbed run, for ours and the reference alike). Uses the servers of `deno task services start`,
// else starts its own and stops them afterwards.
// Usage: deno run -A scripts/bench/files.ts [--mb N] [--rounds N]
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../../engine/connectors/mod.ts";
import type { FilesConnector } from "../../engine/connectors/kinds/files.ts";
import { loadServicesEnv } from "../../tests/_services.ts";
import type { ServicesEnv } from "../services/env.ts";
import { startServices, stopServices } from "../services/mod.ts";

function _arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const MB = Number(_arg("--mb", "200"));
const ROUNDS = Math.max(1, Number(_arg("--rounds", "3")));

async function _time(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function _run(cmd: string, args: string[], stdin?: string): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (out.code !== 0) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function _withConnector<T>(
  resource: { kind: string; driver: string; config: Record<string, unknown> },
  fn: (c: FilesConnector) => Promise<T>,
): Promise<T> {
  const acc = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: { r: { ...resource, options: {}, decode: {} } },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  try {
    const c = resource.kind === "sftp" ? await acc.sftp("r") : await acc.smb("r");
    return await fn(c);
  } finally {
    await acc.closeAll();
  }
}

interface _Series {
  name: string;
  ours: number[];
  ref: number[];
}

function _report(series: _Series[], goal: number, refName: string): boolean {
  let ok = true;
  for (const s of series) {
    const ours = Math.min(...s.ours);
    const ref = Math.min(...s.ref);
    const ratio = ref / ours; // throughput ratio = reference time / our time
    ok &&= ratio >= goal;
    const mbps = (ms: number) => (MB / (ms / 1000)).toFixed(1);
    console.log(
      `${s.name.padEnd(14)} ours ${ours.toFixed(0).padStart(6)} ms (${mbps(ours)} MB/s)  ${refName} ` +
        `${ref.toFixed(0).padStart(6)} ms (${mbps(ref)} MB/s)  ratio ${
          ratio.toFixed(2)
        }x  goal >= ${goal}x ` +
        `${ratio >= goal ? "OK" : "MISSED"}`,
    );
  }
  return ok;
}

async function main(): Promise<number> {
  let env = loadServicesEnv();
  let started: ServicesEnv | undefined;
  if (!env?.sftp || !env?.smb) {
    started = await startServices({ persistent: false, log: (l) => console.error(`services: ${l}`) });
    env = started;
  }
  const work = await Deno.makeTempDir({ prefix: "af-bench-files-" });
  try {
    if (!env.sftp || !env.smb) {
      console.log(`SKIPPED: servers unavailable: ${JSON.stringify(env.missing)}`);
      return 0;
    }
    const src = join(work, "src.bin");
    {
      using f = await Deno.open(src, { write: true, create: true });
      const block = new Uint8Array(1 << 20);
      for (let i = 0; i < MB; i++) {
        for (let o = 0; o < block.length; o += 65536) crypto.getRandomValues(block.subarray(o, o + 65536));
        let off = 0;
        while (off < block.length) off += await f.write(block.subarray(off));
      }
    }
    console.log(`file: ${MB} MB random, ${ROUNDS} rounds, fastest counts`);

    // F1: SFTP, key user (the OpenSSH client authenticates non-interactively with the same key).
    const s = env.sftp;
    const u = s.keyUser;
    const sftpRes = {
      kind: "sftp",
      driver: "paramiko",
      config: {
        host: s.host,
        port: s.port,
        user: u.user,
        pkey_path: u.privateKeyPath,
        host_key_fingerprint: s.hostKeyFingerprint,
      },
    };
    const known = join(work, "known_hosts");
    await Deno.writeTextFile(known, `[${s.host}]:${s.port} ${await Deno.readTextFile(s.hostPublicKeyPath)}`);
    const sftpArgs = (batch: string) => [
      "-q",
      "-b",
      batch,
      "-P",
      String(s.port),
      "-i",
      u.privateKeyPath,
      "-o",
      `UserKnownHostsFile=${known}`,
      "-o",
      "StrictHostKeyChecking=yes",
      `${u.user}@${s.host}`,
    ];
    const putBatch = join(work, "put.batch");
    const getBatch = join(work, "get.batch");
    await Deno.writeTextFile(putBatch, `put ${src} ${u.home}/bench_ref.bin\n`);
    await Deno.writeTextFile(getBatch, `get ${u.home}/bench_ref.bin ${join(work, "ref_back.bin")}\n`);
    const sUp: _Series = { name: "F1 sftp put", ours: [], ref: [] };
    const sDown: _Series = { name: "F1 sftp get", ours: [], ref: [] };
    for (let r = 0; r < ROUNDS; r++) {
      sUp.ours.push(
        await _time(() =>
          _withConnector(sftpRes, (c) => c.upload({ local: src, remote: `${u.home}/bench.bin` }))
        ),
      );
      sUp.ref.push(await _time(() => _run("sftp", sftpArgs(putBatch))));
      sDown.ours.push(
        await _time(() =>
          _withConnector(
            sftpRes,
            (c) => c.download({ remote: `${u.home}/bench.bin`, local: join(work, "back.bin") }),
          )
        ),
      );
      sDown.ref.push(await _time(() => _run("sftp", sftpArgs(getBatch))));
    }
    await Deno.remove(join(u.localHome, "bench.bin")).catch(() => {});
    await Deno.remove(join(u.localHome, "bench_ref.bin")).catch(() => {});

    // F2: SMB through the driver vs smbclient itself (same auth file form, same share).
    const m = env.smb;
    const smbRes = {
      kind: "smb",
      driver: "smbclient",
      config: { server: m.host, port: m.port, share: m.share, username: m.user, password: m.password },
    };
    const auth = join(work, "auth");
    await Deno.writeTextFile(auth, `username = ${m.user}\npassword = ${m.password}\ndomain = ${m.domain}\n`, {
      mode: 0o600,
    });
    const smbArgs = ["-A", auth, "-p", String(m.port), `//${m.host}/${m.share}`];
    const mUp: _Series = { name: "F2 smb put", ours: [], ref: [] };
    const mDown: _Series = { name: "F2 smb get", ours: [], ref: [] };
    for (let r = 0; r < ROUNDS; r++) {
      mUp.ours.push(
        await _time(() => _withConnector(smbRes, (c) => c.upload({ local: src, remote: "bench.bin" }))),
      );
      mUp.ref.push(await _time(() => _run("smbclient", smbArgs, `put "${src}" "bench_ref.bin"\n`)));
      mDown.ours.push(
        await _time(() =>
          _withConnector(smbRes, (c) => c.download({ remote: "bench.bin", local: join(work, "b.bin") }))
        ),
      );
      mDown.ref.push(
        await _time(() => _run("smbclient", smbArgs, `get "bench_ref.bin" "${join(work, "ref_b.bin")}"\n`)),
      );
    }
    await Deno.remove(join(m.sharePath, "bench.bin")).catch(() => {});
    await Deno.remove(join(m.sharePath, "bench_ref.bin")).catch(() => {});

    const a = _report([sUp, sDown], 0.7, "openssh-sftp");
    const b = _report([mUp, mDown], 0.8, "smbclient");
    console.log(a && b ? "files bench: all goals met" : "files bench: a goal was missed (see MISSED)");
    return 0;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
    if (started) await stopServices(started);
  }
}

Deno.exit(await main());
