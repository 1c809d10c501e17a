// The demo flow (testdata/demo/flow.yaml) end to end: gating, a when-skip, a no-data skip, a BLOCKED job after a
// skip (run stays green) and after a failure (run fails), external.process artifacts, then resume with the fix.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ROOT, runCli, tempDir } from "./_helpers.ts";

function _jobs(root: string, runId: string): Record<string, string> {
  const db = new DatabaseSync(`${root}/state.sqlite`, { readOnly: true });
  try {
    const rows = db.prepare("SELECT job_id, status FROM job_runs WHERE run_id = ?").all(runId);
    return Object.fromEntries(rows.map((r) => [String(r.job_id), String(r.status)]));
  } finally {
    db.close();
  }
}

Deno.test("demo flow fails on publish, then resumes to success with the same run id", async () => {
  await using dir = await tempDir("af-demo-");
  const flow = `${ROOT}testdata/demo/flow.yaml`;
  const first = await runCli(["run", flow, "--run-id", "D1"], { env: { DEMO_ROOT: dir.path } });
  assert.equal(first.code, 1, first.stderr);
  assert.deepEqual(_jobs(dir.path, "D1"), {
    extract: "SUCCESS",
    transform: "SUCCESS",
    big_order_alert: "SKIPPED",
    refunds: "SKIPPED",
    refund_report: "BLOCKED",
    publish: "FAILED",
    archive: "BLOCKED",
  });
  const art = (job: string, file: string) => `${dir.path}/work/demo_orders/${job}/D1/artifacts/${file}`;
  assert.equal(await Deno.readTextFile(art("extract", "orders.csv")), "id,amount\n1,10\n2,32\n3,7\n");
  assert.equal(await Deno.readTextFile(art("transform", "summary.txt")), "orders=3 run=D1\n");

  const second = await runCli(["run", flow, "--run-id", "D1"], {
    env: { DEMO_ROOT: dir.path, DEMO_PUBLISH_OK: "1" },
  });
  assert.equal(second.code, 0, second.stderr);
  assert.ok(second.stderr.includes("Step skip (resume) step_id=fetch prev=SUCCESS"));
  assert.equal(_jobs(dir.path, "D1").archive, "SUCCESS");
  assert.equal(await Deno.readTextFile(art("publish", "published.txt")), "orders=3 run=D1\n");
  assert.equal(await Deno.readTextFile(art("archive", "index.txt")), "published.txt\n");
});
