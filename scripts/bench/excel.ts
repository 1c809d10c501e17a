// Excel benchmark (docs/steps.md "excel_fill_from_file"): excel_fill_from_file writing a 100,000 × 10 CSV
// (text, integers, floats, booleans, datetimes, quoted fields) onto a data sheet of a template with schema
// casting. Goal on the 2-core test machine: < 10 s and < 600 MB peak RSS.
// Yardsticks, measured in the same run, each series in its own process (peak RSS from /usr/bin/time):
//   exceljs-stream  exceljs's own streaming WorkbookWriter writing the same rows (same CSV reader and casting)
//                   into a fresh workbook: the floor for producing this xlsx with the library we use, so the
//                   ratio is the price of keeping a template (its sheets, styles, names) around the data.
//   libreoffice     `soffice --headless --convert-to xlsx` of the same CSV (only when LibreOffice is installed):
//                   what an ops team would script without aetherflow; no types beyond its own guessing.
// Each series runs --rounds times, interleaved; the fastest round counts (the host is shared). CPU time (user +
// sys of the whole process, start-up included) is printed too: on a loaded host it is the figure to hold
// against the time goal, since wall time then mostly measures the other processes.
// Usage: deno run -A scripts/bench/excel.ts [--rows N] [--rounds N]
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

function _arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const ROWS = Number(_arg("--rows", "100000"));
const ROUNDS = Math.max(1, Number(_arg("--rounds", "2")));
const CHILD = fromFileUrl(new URL("./_excel_child.ts", import.meta.url));
const TEMPLATE = fromFileUrl(new URL("../../testdata/excel/template_both_modes.xlsx", import.meta.url));
const GOAL_MS = 10_000;
const GOAL_MB = 600;

interface Measure {
  ms: number;
  mb: number;
  cpuS: number;
}

async function _csv(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let chunk = "id,name,value,ts,flag,city,qty,price,code,note\n";
  for (let i = 1; i <= ROWS; i++) {
    const day = String((i % 28) + 1).padStart(2, "0");
    chunk += `${i},item${i},${i * 1.5},2024-01-${day} 08:30:00,${i % 2 === 0},city${i % 100},${i % 7},` +
      `${(i % 1000) / 10},C${i},"note, ""quoted"" ${i}"\n`;
    if (chunk.length > 1 << 20) {
      await file.write(enc.encode(chunk));
      chunk = "";
    }
  }
  await file.write(enc.encode(chunk));
  file.close();
}

/** Run a command under /usr/bin/time: wall time, the process's peak RSS and CPU time. */
async function _timed(cmd: string[], cwd: string): Promise<Measure & { out: string }> {
  const t0 = performance.now();
  const r = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "AF_MAXRSS_KB=%M AF_CPU_S=%U+%S", ...cmd],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t0;
  const err = new TextDecoder().decode(r.stderr);
  const out = new TextDecoder().decode(r.stdout);
  if (!r.success) throw new Error(`${cmd.join(" ")} failed:\n${out}\n${err}`);
  const kb = Number(/AF_MAXRSS_KB=(\d+)/.exec(err)?.[1] ?? NaN);
  const cpu = /AF_CPU_S=([\d.]+)\+([\d.]+)/.exec(err);
  return { ms: wall, mb: kb / 1024, cpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN, out };
}

async function _child(mode: string, dir: string): Promise<Measure> {
  const r = await _timed([Deno.execPath(), "run", "--allow-all", CHILD, mode, dir], dir);
  const line = r.out.trim().split("\n").pop()!;
  const { ms, rows } = JSON.parse(line) as { ms: number; rows: number };
  if (rows !== ROWS) throw new Error(`${mode} wrote ${rows} rows, not ${ROWS}`);
  // The step's own time (without Deno's start-up); RSS is the whole process.
  return { ms, mb: r.mb, cpuS: r.cpuS };
}

function _hasSoffice(): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", "command -v soffice"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

async function _soffice(dir: string): Promise<Measure> {
  const r = await _timed([
    "soffice",
    "--headless",
    `-env:UserInstallation=file://${dir}/lo_profile`,
    "--convert-to",
    "xlsx",
    "--outdir",
    join(dir, "lo"),
    join(dir, "data.csv"),
  ], dir);
  await Deno.stat(join(dir, "lo", "data.xlsx"));
  return r;
}

function _best(ms: Measure[]): Measure {
  return ms.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const dir = await Deno.makeTempDir({ prefix: "af-bench-excel-" });
try {
  await _csv(join(dir, "data.csv"));
  await Deno.copyFile(TEMPLATE, join(dir, "template.xlsx"));
  await Deno.writeTextFile(
    join(dir, "dtypes.json"),
    JSON.stringify({
      id: "int",
      name: "string",
      value: "float",
      ts: "datetime",
      flag: "bool",
      city: "string",
      qty: "int",
      price: "float",
      code: "string",
      note: "string",
    }),
  );
  const csvMb = (await Deno.stat(join(dir, "data.csv"))).size / 1e6;
  const lo = _hasSoffice();
  if (lo) await _soffice(dir); // warm LibreOffice's profile once, outside the rounds
  const series: Record<string, Measure[]> = { aetherflow: [], "exceljs-stream": [], libreoffice: [] };
  for (let round = 0; round < ROUNDS; round++) {
    series.aetherflow!.push(await _child("aetherflow", dir));
    series["exceljs-stream"]!.push(await _child("exceljs-stream", dir));
    if (lo) series.libreoffice!.push(await _soffice(dir));
  }
  const af = _best(series.aetherflow!);
  const ex = _best(series["exceljs-stream"]!);
  const outMb = (await Deno.stat(join(dir, "out_aetherflow.xlsx"))).size / 1e6;
  console.log(
    `excel_fill_from_file data_sheet, ${ROWS} rows × 10 columns (CSV ${csvMb.toFixed(1)} MB -> xlsx ` +
      `${outMb.toFixed(1)} MB), best of ${ROUNDS}`,
  );
  const row = (name: string, m: Measure) =>
    console.log(
      `  ${name.padEnd(16)} ${(m.ms / 1000).toFixed(2).padStart(7)} s   peak RSS ${
        m.mb.toFixed(0).padStart(5)
      } MB   CPU ${m.cpuS.toFixed(2).padStart(6)} s`,
    );
  row("aetherflow", af);
  row("exceljs-stream", ex);
  if (lo) {
    row("libreoffice", _best(series.libreoffice!));
  }
  console.log(
    `  ratio aetherflow / exceljs-stream: time ${(af.ms / ex.ms).toFixed(2)}×, CPU ${
      (af.cpuS / ex.cpuS).toFixed(2)
    }×, RSS ${(af.mb / ex.mb).toFixed(2)}×`,
  );
  if (lo) {
    const l = _best(series.libreoffice!);
    console.log(
      `  ratio aetherflow / libreoffice:    time ${
        (af.ms / l.ms).toFixed(2)
      }× (LibreOffice's time includes its start-up)`,
    );
  } else {
    console.log("  libreoffice: not installed (apt-get install libreoffice-calc-nogui), yardstick skipped");
  }
  const ok = af.ms < GOAL_MS && af.mb < GOAL_MB;
  const cpuOk = af.cpuS * 1000 < GOAL_MS && af.mb < GOAL_MB;
  console.log(
    `  goal < ${GOAL_MS / 1000} s and < ${GOAL_MB} MB: wall ${ok ? "met" : "MISSED"}, CPU ${
      cpuOk ? "met" : "MISSED"
    } (load average ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")})`,
  );
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
