// external.process and `ctx.processGroups` (docs/state.md "Process groups"): the child's group is recorded before
// the step reports it running and forgotten once reaped; a group that cannot be recorded does not run on.
import assert from "node:assert/strict";
import { join } from "node:path";
import { externalProcess } from "./external_process.ts";
import { fakeContext, runStep } from "./_test_context.ts";
import type { ProcessGroupApi, StepContext } from "./types.ts";

async function _context(
  processGroups: ProcessGroupApi,
  lines: string[],
): Promise<StepContext & AsyncDisposable> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "af_epg_" }));
  const jobDir = join(root, "f", "j", "r");
  for (const d of ["artifacts", "scratch", "manifests"]) {
    await Deno.mkdir(join(jobDir, d), { recursive: true });
  }
  const log = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return {
    ...fakeContext({
      workRoot: root,
      jobDir,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      log: { debug: log("DEBUG"), info: log("INFO"), warn: log("WARN"), error: log("ERROR") },
    }),
    processGroups,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

function _alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test("external.process records its child's group before logging it running, and clears it when reaped", async () => {
  const lines: string[] = [];
  // The child waits for this file (made once its group is recorded), so "alive" at record time does not depend
  // on how fast a loaded machine schedules it; the wait has its own deadline (~60 s).
  const go = join(await Deno.makeTempDir({ prefix: "af_epg_go_" }), "go");
  const groups: ProcessGroupApi = {
    async started(pgid, options) {
      lines.push(`started ${pgid} grace=${options.graceSeconds} alive=${_alive(pgid)}`);
      await Deno.writeTextFile(go, "");
    },
    reaped(pgid) {
      lines.push(`reaped ${pgid} alive=${_alive(pgid)}`);
      return Promise.resolve();
    },
  };
  await using ctx = await _context(groups, lines);
  const result = await runStep(externalProcess, {
    command: [
      "sh",
      "-c",
      `i=0; while [ ! -e '${go}' ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i+1)); done; exit 3`,
    ],
    success: { exit_codes: [3] },
    kill_grace_seconds: 7,
    log: { stdout: "discard", stderr: "discard" },
  }, ctx);
  assert.equal(result.outputs?.exit_code, 3);
  const pgid = Number(/^started (\d+)/.exec(lines.find((l) => l.startsWith("started"))!)![1]);
  const ours = lines.filter((l) => /^(started|reaped|INFO external_process_(running|exit))/.test(l));
  assert.deepEqual(ours, [
    `started ${pgid} grace=7 alive=true`,
    `INFO external_process_running step_id=s attempt=1 pgid=${pgid}`,
    `reaped ${pgid} alive=false`,
    `INFO external_process_exit step_id=s attempt=1 exit_code=3`,
  ]);
  await Deno.remove(join(go, ".."), { recursive: true });
});

Deno.test("external.process stops the group and fails when its group cannot be recorded", async () => {
  const lines: string[] = [];
  let pgid = 0;
  const groups: ProcessGroupApi = {
    started(pid) {
      pgid = pid;
      return Promise.reject(new Error("state is gone"));
    },
    reaped: () => Promise.resolve(),
  };
  await using ctx = await _context(groups, lines);
  await assert.rejects(
    runStep(externalProcess, {
      command: ["sleep", "300"],
      kill_grace_seconds: 5,
      log: { stdout: "discard", stderr: "discard" },
    }, ctx),
    /state is gone/,
  );
  assert.ok(pgid > 0);
  assert.equal(_alive(pgid), false, "the unrecorded child does not run on");
  assert.equal(lines.some((l) => l.includes("external_process_running")), false);
});
