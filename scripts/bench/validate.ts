// Benchmark: validate a generated 2,000-job flow through the real CLI, next to a bare `deno run` hello world
// (cold-start ratio), plus the in-process time. Run: `deno run -A scripts/bench/validate.ts [jobs] [runs]`.
// Each CLI figure is the median time (and the highest peak RSS) of `runs` runs (default 5): single runs swing
// by tens of percent on a busy machine. Goals: the 2,000-job flow under 1 s and 150 MB.
// Also the input budget (docs/yaml-spec.md "Limits"): the largest file validate accepts, in its most
// expensive shape (one flow sequence of scalars just under MAX_YAML_NODES, parsed whole), and the refusal of a
// 10 MB one-line sequence (5 M items, exit 2 before parsing).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validateFlowSource } from "../../engine/flow/mod.ts";
import { StepRegistry } from "../../engine/steps/registry.ts";
import { MAX_YAML_NODES, yamlNodeEstimate } from "../../engine/yaml_budget.ts";

const MAIN = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const JOBS = Number(Deno.args[0] ?? "2000");
const RUNS = Math.max(1, Number(Deno.args[1] ?? "5"));

/**
 * The most expensive file the loader accepts: one flow sequence of scalars filling the node budget (parsed
 * whole, not in chunks), and an error whose position needs that whole parse (an unknown key).
 */
function largestAccepted(): string {
  const head =
    "flow: {id: budget}\njobs:\n  - {id: a, steps: [{id: s, type: check_items, inputs: {items: [1]}}]}\n";
  const room = MAX_YAML_NODES - yamlNodeEstimate(head) - 4;
  return `${head}x_data: [${"0,".repeat(room - 1)}0]\n`;
}

/** A flow with `jobs` jobs, each depending on the previous one, two steps with templates. */
function generateFlow(jobs: number): string {
  const lines = ["flow:", "  id: bench", "  workspace: {root: '{{env.BENCH_ROOT:/tmp/bench}}'}", "jobs:"];
  for (let i = 0; i < jobs; i++) {
    lines.push(`  - id: job_${i}`);
    if (i > 0) {
      lines.push(`    depends_on: [job_${i - 1}]`, `    when: jobs.job_${i - 1}.outputs.has_data == true`);
    }
    lines.push(
      "    steps:",
      `      - id: check_${i}`,
      "        type: check_items",
      `        inputs: {items: [1, 2, "{{env.ITEM_${i}:x}}"], min_count: 1}`,
      "        outputs: {has_data: '{{result.has_data}}', count: '{{result.count}}'}",
      `      - id: again_${i}`,
      "        type: check_items",
      `        inputs: {items: "{{steps.check_${i}.count:[]}}"}`,
    );
  }
  return lines.join("\n") + "\n";
}

interface Timed {
  ms: number;
  peakRssMb?: number;
  code: number;
}

/** Run a command; peak RSS from /proc/<pid>/status VmHWM, polled while it runs (Linux only). */
async function timed(args: string[]): Promise<Timed> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" }).spawn();
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // The process already exited or /proc is unavailable.
    }
  }, 5);
  const out = await child.output();
  clearInterval(poll);
  const ms = performance.now() - started;
  if (out.code !== 0 && out.code !== 2) console.error(new TextDecoder().decode(out.stderr));
  return { ms, code: out.code, ...(peakKb > 0 ? { peakRssMb: peakKb / 1024 } : {}) };
}

/** `RUNS` runs of `args`: the median time, the highest peak RSS, the last exit code. */
async function repeated(args: string[]): Promise<Timed> {
  const runs: Timed[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timed(args));
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  const peaks = runs.flatMap((r) => (r.peakRssMb === undefined ? [] : [r.peakRssMb]));
  return { ms, code: runs.at(-1)!.code, ...(peaks.length > 0 ? { peakRssMb: Math.max(...peaks) } : {}) };
}

function fmt(t: Timed): string {
  return `${t.ms.toFixed(0)} ms${t.peakRssMb === undefined ? "" : `, peak RSS ${t.peakRssMb.toFixed(1)} MB`}`;
}

const dir = await Deno.makeTempDir({ prefix: "af-bench-" });
try {
  const flowPath = join(dir, "big.yaml");
  const text = generateFlow(JOBS);
  await Deno.writeTextFile(flowPath, text);
  const hello = join(dir, "hello.ts");
  await Deno.writeTextFile(hello, 'console.log("hello");\n');

  // Warm the module cache once so both sides measure a warm-cache cold start.
  await timed(["run", "-A", "--quiet", MAIN, "validate", flowPath, "--json"]);
  await timed(["run", "-A", "--quiet", hello]);

  const small = join(dir, "small.yaml");
  await Deno.writeTextFile(small, generateFlow(1));

  const helloRun = await repeated(["run", "-A", "--quiet", hello]);
  const smallRun = await repeated(["run", "-A", "--quiet", MAIN, "validate", small, "--json"]);
  const cli = await repeated(["run", "-A", "--quiet", MAIN, "validate", flowPath, "--json"]);

  const registry = StepRegistry.withBuiltins();
  const t0 = performance.now();
  const report = validateFlowSource({ flowYaml: flowPath, source: text, snapshot: {}, registry });
  const inProcess = performance.now() - t0;

  console.log(
    `flow: ${JOBS} jobs, ${
      (text.length / 1024).toFixed(0)
    } KiB, ok=${report.ok}, warnings=${report.warnings.length}; CLI: median of ${RUNS} runs, highest peak RSS`,
  );
  console.log(`deno run hello world:       ${fmt(helloRun)}`);
  console.log(`aetherflow validate, 1 job: ${fmt(smallRun)} (exit ${smallRun.code})`);
  console.log(`aetherflow validate (CLI):  ${fmt(cli)} (exit ${cli.code})`);
  console.log(`validateFlowSource (in-process): ${inProcess.toFixed(0)} ms`);
  console.log(`cold-start ratio (1-job validate / hello): ${(smallRun.ms / helloRun.ms).toFixed(2)}x`);
  console.log(`ratio (${JOBS}-job validate / hello): ${(cli.ms / helloRun.ms).toFixed(2)}x`);

  const budgetPath = join(dir, "largest.yaml");
  const budgetText = largestAccepted();
  await Deno.writeTextFile(budgetPath, budgetText);
  const hugePath = join(dir, "huge.yaml");
  await Deno.writeTextFile(hugePath, `x: [${"0,".repeat(5_200_000)}0]\n`);
  const largest = await repeated(["run", "-A", "--quiet", MAIN, "validate", budgetPath, "--json"]);
  const huge = await repeated(["run", "-A", "--quiet", MAIN, "validate", hugePath, "--json"]);
  console.log(
    `largest accepted file (${(budgetText.length / 1024).toFixed(0)} KiB, ~${
      yamlNodeEstimate(budgetText)
    } of ${MAX_YAML_NODES} nodes, parsed whole): ${fmt(largest)} (exit ${largest.code}); ratio / hello ${
      (largest.ms / helloRun.ms).toFixed(2)
    }x`,
  );
  console.log(
    `10 MB one-line sequence (5.2 M items, refused): ${fmt(huge)} (exit ${huge.code}); ratio / hello ${
      (huge.ms / helloRun.ms).toFixed(2)
    }x`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
