// db_extract_stream benchmarks, printed as ratios against real yardsticks measured in the same run:
//   D1  PostgreSQL -> CSV: db_extract_stream vs `psql -c "\copy (select * from b) to 'file' csv header"` on the
//       same table of N rows x 8 mixed columns (bigint, int, numeric(14,2), float8, text, bool, date,
//       timestamptz). Goal: ratio (our rows/s over psql's) >= 0.5.
//   D2  SQLite -> CSV: db_extract_stream vs the `sqlite3 -csv -header` shell on the same table. Goal >= 0.5.
//   Peak RSS of each extract (its own process, VmHWM) at N rows and at N/10 rows: goal < 200 MB, independent of
//   the row count (rows are streamed in batches of fetch_size).
// Each series runs --rounds times, interleaved; the fastest round is reported (the host is shared).
// PostgreSQL comes from `deno task services start` when running, else the harness starts one for this run.
// Usage: deno run -A scripts/bench/db.ts [--rows N] [--rounds N] [--fetch-size N]
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { loadServicesEnv } from "../../tests/_services.ts";
import { startServices, stopServices } from "../services/mod.ts";
import type { PostgresInfo, ServicesEnv } from "../services/env.ts";

function _arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}
const ROWS = Number(_arg("--rows", "1000000"));
const ROUNDS = Math.max(1, Number(_arg("--rounds", "2")));
const FETCH = Number(_arg("--fetch-size", "5000"));
const CHILD = new URL("./_db_extract_child.ts", import.meta.url).pathname;

async function _cmd(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return performance.now() - t0;
}

async function _ours(
  dir: string,
  driver: string,
  config: Record<string, unknown>,
  sql: string,
): Promise<{ ms: number; rows: number; peakRssMb: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CHILD,
      JSON.stringify({
        driver,
        config,
        sql,
        output: join(dir, "ours.csv"),
        format: "csv",
        fetch_size: FETCH,
        workRoot: dir,
      }),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`extract failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

async function _ensureSqlite3(): Promise<void> {
  const ok = await new Deno.Command("sqlite3", { args: ["-version"], stdout: "null", stderr: "null" })
    .output()
    .then((o) => o.code === 0, () => false);
  if (ok) return;
  if (Deno.uid() !== 0) throw new Error("the sqlite3 shell is missing (apt-get install sqlite3)");
  await _cmd("apt-get", ["install", "-y", "-q", "sqlite3"], { DEBIAN_FRONTEND: "noninteractive" });
}

const BUILD = (n: number) =>
  `select g::bigint id, (g % 1000)::int4 n, (g * 1.25)::numeric(14,2) amount, g / 7.0::float8 ratio,
    md5(g::text) label, g % 2 = 0 flag, date '2020-01-01' + (g % 3000) d,
    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' ts from generate_series(1, ${n}) g`;

function _line(name: string, ours: { ms: number; rows: number }, baseMs: number, base: string): void {
  const oursRate = ours.rows / (ours.ms / 1000);
  const baseRate = ours.rows / (baseMs / 1000);
  console.log(
    `${name}: db_extract_stream ${Math.round(oursRate).toLocaleString("en")} rows/s (${
      (ours.ms / 1000).toFixed(2)
    } s), ` +
      `${base} ${Math.round(baseRate).toLocaleString("en")} rows/s (${(baseMs / 1000).toFixed(2)} s); ` +
      `ratio ${(oursRate / baseRate).toFixed(2)}x (goal >= 0.5x)`,
  );
}

let started: ServicesEnv | undefined;
let services = loadServicesEnv();
if (!services?.postgres) {
  started = await startServices({ persistent: false, log: (l) => console.error(`services: ${l}`) });
  services = started;
}
const pg = services.postgres as PostgresInfo | undefined;
const dir = await Deno.makeTempDir({ prefix: "af-bench-db-" });
try {
  if (!pg) throw new Error(`PostgreSQL unavailable: ${services.missing.postgres?.reason}`);
  const { default: postgres } = await import("postgres");
  const dbName = `bench_${crypto.randomUUID().slice(0, 8)}`;
  const admin = postgres({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: "postgres",
    onnotice: () => {},
  });
  await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  const url = `postgresql://${pg.user}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${dbName}`;
  try {
    const sql = postgres(url, { onnotice: () => {} });
    console.log(`building ${ROWS.toLocaleString("en")} rows x 8 columns in PostgreSQL and SQLite…`);
    await sql.unsafe(`create table b as ${BUILD(ROWS)}`);
    await sql.end();
    const sqliteFile = join(dir, "b.db");
    const lite = new DatabaseSync(sqliteFile);
    lite.exec(
      `create table b (id integer, n integer, amount real, ratio real, label text, flag integer, d text, ts text)`,
    );
    const ins = lite.prepare("insert into b values (?, ?, ?, ?, ?, ?, ?, ?)");
    lite.exec("begin");
    for (let g = 1; g <= ROWS; g++) {
      ins.run(
        g,
        g % 1000,
        g * 1.25,
        g / 7,
        `label-${g}`,
        g % 2,
        `2020-01-${String(1 + (g % 28)).padStart(2, "0")}`,
        `2024-01-01 00:00:${String(g % 60).padStart(2, "0")}`,
      );
    }
    lite.exec("commit");
    lite.close();
    await _ensureSqlite3();

    const best = { pg: Infinity, psql: Infinity, lite: Infinity, shell: Infinity };
    let pgRun = { ms: Infinity, rows: 0, peakRssMb: 0 };
    let liteRun = { ms: Infinity, rows: 0, peakRssMb: 0 };
    const pgEnv = { PGPASSWORD: pg.password };
    for (let round = 0; round < ROUNDS; round++) {
      best.psql = Math.min(
        best.psql,
        await _cmd("psql", [
          "-h",
          pg.host,
          "-p",
          String(pg.port),
          "-U",
          pg.user,
          "-d",
          dbName,
          "-q",
          "-c",
          `\\copy (select * from b) to '${join(dir, "psql.csv")}' csv header`,
        ], pgEnv),
      );
      const p = await _ours(dir, "postgres", { url }, "select * from b");
      if (p.ms < pgRun.ms) pgRun = p;
      best.shell = Math.min(
        best.shell,
        await _cmd("sh", [
          "-c",
          `sqlite3 -csv -header '${sqliteFile}' 'select * from b' > '${join(dir, "shell.csv")}'`,
        ]),
      );
      const l = await _ours(dir, "sqlite3", { path: sqliteFile }, "select * from b");
      if (l.ms < liteRun.ms) liteRun = l;
    }
    const small = Math.max(1, Math.floor(ROWS / 10));
    const pgSmall = await _ours(dir, "postgres", { url }, `select * from b where id <= ${small}`);
    const liteSmall = await _ours(
      dir,
      "sqlite3",
      { path: sqliteFile },
      `select * from b where id <= ${small}`,
    );
    console.log("");
    _line("D1 PostgreSQL -> CSV", pgRun, best.psql, "psql \\copy");
    _line("D2 SQLite -> CSV    ", liteRun, best.shell, "sqlite3 -csv");
    console.log(
      `peak RSS (goal < 200 MB, flat in rows): PostgreSQL ${pgRun.peakRssMb} MB at ${
        ROWS.toLocaleString("en")
      } rows, ` +
        `${pgSmall.peakRssMb} MB at ${small.toLocaleString("en")}; SQLite ${liteRun.peakRssMb} MB at ` +
        `${ROWS.toLocaleString("en")}, ${liteSmall.peakRssMb} MB at ${small.toLocaleString("en")}`,
    );
  } finally {
    const a = postgres({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: "postgres",
      onnotice: () => {},
    });
    await a.unsafe(`drop database if exists ${dbName} with (force)`);
    await a.end();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
  if (started) await stopServices(started);
}
