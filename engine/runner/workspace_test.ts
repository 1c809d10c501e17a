import assert from "node:assert/strict";
import { createJobLayout, jobLayout, removeJobDir, unsafeDirName } from "./workspace.ts";
import { newRunId } from "./run_id.ts";

Deno.test("jobLayout() follows <root>/<flow>/<job>/<run>/<layout names>", () => {
  const l = jobLayout({
    root: "/w",
    flowId: "f",
    jobId: "j",
    runId: "R",
    layout: { artifacts: "out", scratch: "tmp", manifests: "m" },
  });
  assert.deepEqual(l, {
    jobDir: "/w/f/j/R",
    artifactsDir: "/w/f/j/R/out",
    scratchDir: "/w/f/j/R/tmp",
    manifestsDir: "/w/f/j/R/m",
  });
});

Deno.test("createJobLayout() makes the dirs and removeJobDir() removes only the run dir", async () => {
  const root = await Deno.makeTempDir();
  try {
    const l = jobLayout({ root, flowId: "f", jobId: "j", runId: "R", layout: {} });
    await createJobLayout(l);
    assert.ok((await Deno.stat(l.manifestsDir)).isDirectory);
    assert.equal(await removeJobDir(l), true);
    assert.equal(await Deno.stat(l.jobDir).then(() => true, () => false), false);
    assert.ok((await Deno.stat(`${root}/f/j`)).isDirectory);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("newRunId() is 12 lower-case hex chars", () => {
  for (let i = 0; i < 20; i++) assert.match(newRunId(), /^[0-9a-f]{12}$/);
});

Deno.test("jobLayout() refuses ids that would point outside their own run dir (cleanup deletes it)", () => {
  const base = { root: "/w", flowId: "f", jobId: "j", runId: "R", layout: {} };
  for (
    const bad of [
      { jobId: ".." },
      { runId: ".." },
      { runId: "a/../.." },
      { runId: "" },
      { jobId: "" },
      { flowId: "../.." },
      { jobId: "./x" },
      { runId: "x\0y" },
      { layout: { artifacts: "../../etc" } },
    ]
  ) {
    assert.throws(
      () => jobLayout({ ...base, ...bad }),
      /in the job directory path: it /,
      JSON.stringify(bad),
    );
  }
  // Unusual but harmless: nested names, an empty flow id (allowed by the schema), dots inside a name.
  assert.equal(
    jobLayout({ ...base, jobId: "etl/load", runId: "2026-11-28" }).jobDir,
    "/w/f/etl/load/2026-11-28",
  );
  assert.equal(jobLayout({ ...base, flowId: "" }).jobDir, "/w/j/R");
  assert.equal(
    jobLayout({ ...base, jobId: "a..b", runId: "...", flowId: "f.v2" }).jobDir,
    "/w/f.v2/a..b/...",
  );
});

Deno.test("unsafeDirName() refuses control characters (they would forge log lines)", () => {
  for (const [id, code] of [["a\nb", "000A"], ["a\rb", "000D"], ["\u001b[2J", "001B"], ["a\u0085", "0085"]]) {
    assert.equal(unsafeDirName(id!), `it contains a control character (U+${code})`);
  }
  assert.equal(unsafeDirName("run-2024\tx"), "it contains a control character (U+0009)");
  assert.equal(unsafeDirName("run_ü-1"), undefined);
});
