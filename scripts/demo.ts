// `deno task demo`: the infra-free demos of examples/ end to end through the real CLI, in one temp folder:
//   1. singleflow: a gate job and a DB extract (SQLite). The first run fails on purpose (the database folder
//      does not exist yet); the folder is created and the SAME run id is run again: it resumes.
//   2. multiflows-local/uc1: a bundle with WASM plugins: "SFTP" inbox -> download -> unzip -> transform -> zip ->
//      "SMB" outbox -> mail kept in memory.
//   3. multiflows-local/uc2: a bundle with WASM plugins: CSVs -> Excel report from a template -> "SMB" outbox.
// Shows each step as it ends, then a status table, where the outputs are and how to resume or re-run.
// `deno task demo [--dir <empty dir>] [--suffix <run id suffix>]`; exit 0 when every demo ended as expected.
import { join } from "node:path";
import { bold, type DemoRun, dim, printOutputs, red, ROOT, runDemos } from "./_demo_kit.ts";

const EXAMPLES = join(ROOT, "examples");
/** The demo's runs, all under `root` (TMPDIR for the flows' `{{env.TMPDIR:/tmp}}` paths). */
export function demoRuns(root: string, suffix: string): DemoRun[] {
  const base = {
    TMPDIR: root,
    AETHERFLOW_WORK_ROOT: join(root, "work"),
    AETHERFLOW_STATE_SYNCHRONOUS: "NORMAL",
    NO_COLOR: "1",
  };
  const single = {
    ...base,
    DB_URL: `sqlite:///${join(root, "db", "demo.sqlite")}`,
    AETHERFLOW_PROFILES_FILE: join(EXAMPLES, "singleflow/profiles.yaml"),
  };
  const localEnv = { ...base, DEMO_TOKEN: "demo-token-not-a-secret" };
  const prefix = (env: Record<string, string>) =>
    Object.entries(env).filter(([k]) => k !== "NO_COLOR" && k !== "AETHERFLOW_STATE_SYNCHRONOUS")
      .map(([k, v]) => `${k}=${v}`).join(" ");
  const sId = `single-${suffix}`;
  const singleRun = (label: string, expectExit: number): DemoRun => ({
    label,
    args: ["run", "examples/singleflow/flows/demo_flow.yaml", "--run-id", sId],
    cwd: ROOT,
    env: single,
    runId: sId,
    state: join(root, "demo_state/demo_flow.sqlite"),
    expectExit,
    command: `${
      prefix(single)
    } deno task aetherflow run examples/singleflow/flows/demo_flow.yaml --run-id ${sId}`,
  });
  const bundleRun = (uc: string, flowId: string): DemoRun => {
    const runId = `${uc}-${suffix}`;
    const manifest = `examples/multiflows-local/${uc}/manifest_local.yaml`;
    return {
      label: `multiflows-local/${uc}`,
      args: ["run", "--bundle-manifest", "manifest_local.yaml", "--run-id", runId],
      cwd: join(EXAMPLES, "multiflows-local", uc),
      env: localEnv,
      runId,
      state: join(root, "state", `${flowId}.sqlite`),
      expectExit: 0,
      command: `${prefix(localEnv)} deno task aetherflow run --bundle-manifest ${manifest} --run-id ${runId}`,
    };
  };
  return [
    singleRun("singleflow (1st run: fails)", 1),
    singleRun("singleflow (resumed)", 0),
    bundleRun("uc1", "usecase1_demo_local"),
    bundleRun("uc2", "usecase2_demo_local"),
  ];
}

/** Where each demo leaves its outputs. */
export function demoOutputs(root: string, runs: DemoRun[]): [string, string][] {
  const [single, , uc1, uc2] = runs as [DemoRun, DemoRun, DemoRun, DemoRun];
  const art = (flow: string, job: string, id: string) => join(root, "work", flow, job, id, "artifacts");
  return [
    [
      "singleflow: extract (TSV)",
      join(root, "demo_work/demo_flow/extract_only", single.runId, "artifacts/data.tsv"),
    ],
    [
      "uc1: transformed CSV",
      join(art("usecase1_demo_local", "demo_pipeline", uc1.runId), "transformed/sample.csv"),
    ],
    [
      "uc1: payload zip",
      join(art("usecase1_demo_local", "demo_pipeline", uc1.runId), `out/payload_${uc1.runId}.zip`),
    ],
    ['uc1: "SMB" outbox copy', join(root, "demo_outbox/outbox", `payload_${uc1.runId}.zip`)],
    [
      "uc2: Excel report",
      join(art("usecase2_demo_local", "build_report", uc2.runId), `out/report_${uc2.runId}.xlsx`),
    ],
    ['uc2: "SMB" outbox copy', join(root, "demo_outbox/outbox", `report_${uc2.runId}.xlsx`)],
  ];
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--remote")) {
    const { mainRemote } = await import("./demo_remote.ts");
    return await mainRemote(args.filter((a) => a !== "--remote"));
  }
  const dirAt = args.indexOf("--dir");
  const root = dirAt >= 0 ? args[dirAt + 1]! : await Deno.makeTempDir({ prefix: "aetherflow-demo-" });
  await Deno.mkdir(join(root, "logs"), { recursive: true });
  const suffixAt = args.indexOf("--suffix");
  const suffix = suffixAt >= 0 ? args[suffixAt + 1]! : crypto.randomUUID().slice(0, 6);
  const runs = demoRuns(root, suffix);
  const ran = await runDemos(runs, join(root, "logs"), async (i) => {
    if (i !== 1) return;
    console.log(dim(`\n  (creating ${join(root, "db")}, the folder the database file needs, then resuming)`));
    await Deno.mkdir(join(root, "db"), { recursive: true });
  });
  const outputs = await printOutputs(demoOutputs(root, runs));
  const ok = ran && outputs;
  console.log(
    `  ${"state databases".padEnd(26)} ${[...new Set(runs.map((r) => r.state))].join("\n" + " ".repeat(29))}`,
  );
  console.log(`  ${"full logs".padEnd(26)} ${join(root, "logs")}`);

  console.log(
    `\n${bold("== resume, re-run, inspect")} ${
      dim("(from the repository root; no deno? use npx -y deno@2.9.6)")
    }`,
  );
  const [single, , uc1] = runs as [DemoRun, DemoRun, DemoRun];
  console.log(`  Same run id again = resume: finished steps are skipped, their outputs restored:`);
  console.log(`    ${single.command}`);
  console.log(`  A bundle demo (drop --run-id for a fresh run):`);
  console.log(`    ${uc1.command}`);
  console.log(`  What a run did:`);
  console.log(`    deno task aetherflow state show ${uc1.runId} --db ${uc1.state}`);
  console.log(`  The demos and their READMEs: examples/README.md. Remove everything: rm -rf ${root}\n`);
  if (!ok) console.error(red("\nsome demo did not end as expected; see the logs above"));
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
