// Archives: zip and unzip of a large file set through the built-in drivers (@zip.js/zip.js) and the `zip`
// step, against the Info-ZIP `zip` / `unzip` programs on the same files in the same run. Prints times, MB/s,
// archive sizes, the peak RSS of this process during our runs, and RATIOS (ours / program; < 1 = faster).
// Run: `deno run -A scripts/bench/archives.ts [small_files] [csv_files] [big_files]` (default 2000 300 3).
import { join } from "node:path";
import { archivePyzipper } from "../../engine/connectors/drivers/archive_pyzipper.ts";
import { archiveZipfile } from "../../engine/connectors/drivers/archive_zipfile.ts";
import { parseResourceConfig } from "../../engine/connectors/config.ts";
import type { ArchiveConnector } from "../../engine/connectors/kinds/mod.ts";
import type { AnyConnectorDefinition } from "../../engine/connectors/types.ts";
import { SYSTEM_CLOCK } from "../../engine/clock.ts";
import { fakeContext, runStep } from "../../engine/steps/_test_context.ts";
import { zipStep } from "../../engine/steps/archive/zip.ts";

const [SMALL, CSV, BIG] = [
  Number(Deno.args[0] ?? 2000),
  Number(Deno.args[1] ?? 300),
  Number(Deno.args[2] ?? 3),
];
const ROUNDS = 2;
const PW = "bench-password-1";

function _seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** small text files, compressible CSV files and incompressible big files under `root/src`. */
async function makeFiles(root: string): Promise<{ bytes: number; files: number }> {
  const rnd = _seeded(42);
  let bytes = 0;
  const write = async (rel: string, data: Uint8Array) => {
    const path = join(root, "src", rel);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeFile(path, data);
    bytes += data.length;
  };
  const enc = new TextEncoder();
  for (let i = 0; i < SMALL; i++) {
    await write(`small/d${i % 40}/note_${i}.txt`, enc.encode(`note ${i}\n`.repeat(400 + (i % 100))));
  }
  for (let i = 0; i < CSV; i++) {
    const lines = ["id,name,amount,day"];
    for (let r = 0; r < 3000; r++) {
      lines.push(`${r},name_${Math.floor(rnd() * 1e6)},${(rnd() * 1e4).toFixed(2)},2024-01-${1 + (r % 28)}`);
    }
    await write(`csv/part_${i}.csv`, enc.encode(lines.join("\n")));
  }
  for (let i = 0; i < BIG; i++) {
    const data = new Uint8Array(10 * 1024 * 1024);
    for (let off = 0; off < data.length; off += 65536) {
      crypto.getRandomValues(data.subarray(off, off + 65536));
    }
    await write(`big/blob_${i}.bin`, data);
  }
  return { bytes, files: SMALL + CSV + BIG };
}

async function listFiles(dir: string, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await listFiles(p, out);
    else out.push(p);
  }
  return out.sort();
}

/** Best wall time of `ROUNDS` runs, and the peak RSS of this process seen while they ran. */
async function measure(
  run: () => Promise<void>,
  reset: () => Promise<void>,
): Promise<{ ms: number; rss: number }> {
  let best = Infinity;
  let rss = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await reset();
    const timer = setInterval(() => (rss = Math.max(rss, Deno.memoryUsage().rss)), 10);
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
    clearInterval(timer);
    rss = Math.max(rss, Deno.memoryUsage().rss);
  }
  return { ms: best, rss };
}

async function program(cmd: string, args: string[], cwd: string, stdin?: string): Promise<void> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: stdin ? "piped" : "null",
    stdout: "null",
    stderr: "piped",
  })
    .spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function open(def: AnyConnectorDefinition): Promise<ArchiveConnector> {
  const parsed = parseResourceConfig(def, { name: "bench", config: {}, options: {} });
  const nop = () => {};
  return await def.create(
    { name: "bench", kind: def.kind, driver: def.driver, decode: {}, ...parsed } as never,
    {
      signal: new AbortController().signal,
      clock: SYSTEM_CLOCK,
      log: { debug: nop, info: nop, warn: nop, error: nop },
    },
  ) as ArchiveConnector;
}

const rm = (p: string) => Deno.remove(p, { recursive: true }).catch(() => {});
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

const root = await Deno.makeTempDir({ prefix: "af-bench-archives-" });
try {
  const { bytes, files } = await makeFiles(root);
  const src = join(root, "src");
  const all = await listFiles(src);
  const names = all.map((f) => f.slice(src.length + 1)).join("\n") + "\n";
  console.log(
    `archives: ${files} files, ${mb(bytes)} MB (${SMALL} small text, ${CSV} CSV, ${BIG} x 10 MB random)`,
  );
  const rows: [string, { ms: number; rss?: number }, { ms: number }][] = [];
  const zipfile = await open(archiveZipfile);
  const pyzipper = await open(archivePyzipper);

  // Create, deflate: Info-ZIP `zip` (names on stdin) vs the zipfile driver vs the whole zip step.
  const sysZip = join(root, "sys.zip");
  const yard = await measure(() => program("zip", ["-q", sysZip, "-@"], src, names), () => rm(sysZip));
  const oursZip = join(root, "ours.zip");
  const ours = await measure(
    () => zipfile.create_zip({ output: oursZip, files: all, base_dir: src }).then(() => {}),
    () => rm(oursZip),
  );
  rows.push(["create deflate: zipfile driver vs zip", ours, yard]);
  const ctx = fakeContext({ workRoot: root, jobDir: join(root, "job") });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  const step = await measure(async () => {
    await runStep(zipStep, { items: [src], src_dir: src, dest_path: join(root, "step.zip") }, ctx);
  }, () => rm(join(root, "step.zip")));
  rows.push(["create deflate: zip step (collect + driver) vs zip", step, yard]);
  console.log(
    `  archive sizes: zip ${mb((await Deno.stat(sysZip)).size)} MB, ours ${
      mb((await Deno.stat(oursZip)).size)
    } MB`,
  );

  // Create, encrypted: zip -P (ZipCrypto) vs pyzipper AES-256.
  const sysEnc = join(root, "sys_enc.zip");
  const yardEnc = await measure(
    () => program("zip", ["-q", "-P", PW, sysEnc, "-@"], src, names),
    () => rm(sysEnc),
  );
  const oursEnc = join(root, "ours_enc.zip");
  const aes = await measure(
    () => pyzipper.create_zip({ output: oursEnc, files: all, base_dir: src, password: PW }).then(() => {}),
    () => rm(oursEnc),
  );
  rows.push(["create AES-256: pyzipper vs zip -P (ZipCrypto)", aes, yardEnc]);

  // Extract the same archive (written by Info-ZIP): unzip vs the zipfile driver.
  const dSys = join(root, "x_sys");
  const yardX = await measure(() => program("unzip", ["-q", "-o", sysZip, "-d", dSys], root), () => rm(dSys));
  const dOurs = join(root, "x_ours");
  const oursX = await measure(
    () => zipfile.extract_zip!({ archive: sysZip, dest_dir: dOurs }).then(() => {}),
    () => rm(dOurs),
  );
  rows.push(["extract: zipfile driver vs unzip", oursX, yardX]);
  const dEnc = join(root, "x_enc");
  const yardXe = await measure(
    () => program("unzip", ["-q", "-o", "-P", PW, sysEnc, "-d", dEnc], root),
    () => rm(dEnc),
  );
  const oursXe = await measure(
    () => pyzipper.extract_zip!({ archive: oursEnc, dest_dir: dEnc, password: PW }).then(() => {}),
    () => rm(dEnc),
  );
  rows.push(["extract AES-256: pyzipper vs unzip -P (ZipCrypto)", oursXe, yardXe]);

  for (const [name, o, y] of rows) {
    const ratio = o.ms / y.ms;
    console.log(
      `  ${name.padEnd(52)} ours ${(o.ms / 1000).toFixed(2)} s (${mb(bytes / (o.ms / 1000))} MB/s) ` +
        `program ${(y.ms / 1000).toFixed(2)} s (${mb(bytes / (y.ms / 1000))} MB/s)  RATIO ${
          ratio.toFixed(2)
        }x` +
        (o.rss ? `  peak RSS ${mb(o.rss)} MB` : ""),
    );
  }
} finally {
  await rm(root);
}
