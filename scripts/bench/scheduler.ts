// Idle scheduler cost (issue 6): start `schedule run` with items that will not fire during the measurement, then
// read its CPU time (utime+stime from /proc/<pid>/stat) over a window (default 30 s) and its RSS (VmRSS).
// Goal: ~0 CPU, < 100 MB. Usage: deno run -A scripts/bench/scheduler.ts [--seconds N] [--json]
// Linux only (/proc). Exit 1 when a goal is missed.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const args = Deno.args;
const seconds = Number(args[args.indexOf("--seconds") + 1] ?? "30") || 30;
const json = args.includes("--json");

const dir = await Deno.makeTempDir({ prefix: "af-bench-sched-" });
const yaml = join(dir, "scheduler.yaml");
// Ten items on 1 January only: the loop wakes every 60 s at most (clock-jump detection) and never fires here.
const items = Array.from(
  { length: 10 },
  (_, i) => `  - {id: idle_${i}, cron: '${i} 0 1 1 *', flow_yaml: f.yaml}`,
);
await Deno.writeTextFile(yaml, `timezone: UTC\nitems:\n${items.join("\n")}\n`);

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "--allow-all", "--quiet", MAIN, "schedule", "run", yaml],
  cwd: dir,
  stdin: "null",
  stdout: "null",
  stderr: "piped",
}).spawn();

const ticks = 100; // USER_HZ on Linux
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticks; // utime, stime (fields 14, 15)
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

// Wait for "Scheduler running", then measure.
const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
let seen = "";
while (!seen.includes("Scheduler running")) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`scheduler exited early:\n${seen}`);
  seen += value;
}
const drain = (async () => {
  while (!(await reader.read()).done) { /* keep the pipe flowing */ }
})();
const cpu0 = cpuMs(child.pid);
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpuUsed = cpuMs(child.pid) - cpu0;
const wall = performance.now() - t0;
const rss = rssMb(child.pid);
child.kill("SIGTERM");
const status = await child.status;
await drain;
await Deno.remove(dir, { recursive: true });

const result = {
  window_s: Math.round(wall / 1000),
  cpu_ms: Math.round(cpuUsed),
  cpu_percent: Number(((cpuUsed / wall) * 100).toFixed(3)),
  rss_mb: Number(rss.toFixed(1)),
  exit_code: status.code,
};
const ok = result.cpu_percent < 1 && result.rss_mb < 100 && status.code === 0;
if (json) console.log(JSON.stringify({ ...result, ok }));
else {
  console.log(
    `scheduler idle: ${result.cpu_ms} ms CPU over ${result.window_s} s (${result.cpu_percent}%), ` +
      `RSS ${result.rss_mb} MB, exit ${result.exit_code} — ${
        ok ? "OK" : "GOAL MISSED"
      } (goal ~0 CPU, < 100 MB)`,
  );
}
if (!ok) Deno.exit(1);
