// `deno task demo`: run testdata/demo/flow.yaml end to end through the real CLI in a temp dir, show what
// happened (job statuses, artifacts), then resume the same run id with the downstream "fixed".
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const MAIN = join(ROOT, "cli/main.ts");
const FLOW = join(ROOT, "testdata/demo/flow.yaml");

async function _cli(args: string[], env: Record<string, string>): Promise<number> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, ...args],
    env,
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await cmd.output()).code;
}

function _jobTable(statePath: string, runId: string): string {
  const db = new DatabaseSync(statePath, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT job_id, status, COALESCE(error, skip_reason, '') AS why FROM job_runs WHERE run_id = ? ORDER BY rowid",
    ).all(runId);
    return rows.map((r) => `  ${String(r.job_id).padEnd(16)} ${String(r.status).padEnd(8)} ${r.why}`).join(
      "\n",
    );
  } finally {
    db.close();
  }
}

async function _artifacts(workRoot: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else found.push(p.slice(workRoot.length + 1));
    }
  }
  await walk(workRoot).catch(() => {});
  return found.sort();
}

const root = await Deno.makeTempDir({ prefix: "aetherflow-demo-" });
const runId = `demo-${crypto.randomUUID().slice(0, 8)}`;
const env = { DEMO_ROOT: root, AETHERFLOW_STATE_SYNCHRONOUS: "NORMAL" };
const statePath = join(root, "state.sqlite");
const say = (s: string) => console.log(`\n\x1b[1m== ${s}\x1b[0m`);

say(`1st run (run id ${runId}): publish fails because the downstream is "down"`);
const first = await _cli(["run", FLOW, "--run-id", runId], env);
say(`exit code ${first} (1 = a job FAILED or is BLOCKED by a failure). Jobs recorded in state:`);
console.log(_jobTable(statePath, runId));

say(
  "resume: same run id, downstream fixed (DEMO_PUBLISH_OK=1); finished steps are skipped, outputs restored",
);
const resumeCmd =
  `DEMO_ROOT=${root} DEMO_PUBLISH_OK=1 deno task aetherflow run testdata/demo/flow.yaml --run-id ${runId}`;
console.log(`$ ${resumeCmd}`);
const second = await _cli(["run", FLOW, "--run-id", runId], { ...env, DEMO_PUBLISH_OK: "1" });
say(`exit code ${second}. Jobs recorded in state:`);
console.log(_jobTable(statePath, runId));

say("artifacts written by external.process steps:");
for (const f of await _artifacts(join(root, "work"))) console.log(`  ${f}`);
say("what to look at next");
console.log(`  state DB: ${statePath}`);
console.log(`  inspect it:     deno task aetherflow state show ${runId} --db ${statePath}`);
console.log(`  resume command: ${resumeCmd}`);
console.log("  (no deno on PATH? use `npx -y deno@2.9.6 task …` in place of `deno task …`)");
console.log(`  (temp dir kept; remove it with: rm -rf ${root})`);
if (first !== 1 || second !== 0) {
  console.error(`\nunexpected exit codes: first=${first} (want 1), resume=${second} (want 0)`);
  Deno.exit(1);
}
