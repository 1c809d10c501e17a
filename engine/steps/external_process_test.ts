// external.process against real child processes (docs/steps.md "external.process", D16).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { StepContext } from "./types.ts";
import { externalProcess } from "./external_process.ts";
import { fakeContext, runStep } from "./_test_context.ts";
import { createStepPaths } from "./sandbox.ts";

/** `ctx` with more env: the sandbox reads its flags from the same snapshot. */
function withEnv<C extends StepContext>(ctx: C, extra: Record<string, string>): C {
  const env = { ...ctx.env, ...extra };
  return {
    ...ctx,
    env,
    paths: createStepPaths({ artifactsDir: ctx.artifactsDir, workRoot: ctx.workRoot, env }),
  };
}

interface TestContext extends StepContext {
  lines: string[];
  root: string;
  controller: AbortController;
}

/** A StepContext over a fresh temp workspace: `<root>/f1/j1/r1/{artifacts,scratch,manifests}`. */
async function makeContext(env: Record<string, string> = {}): Promise<TestContext & AsyncDisposable> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "af_ep_" }));
  const jobDir = join(root, "f1", "j1", "r1");
  const dirs = ["artifacts", "scratch", "manifests"].map((d) => join(jobDir, d));
  for (const dir of dirs) await Deno.mkdir(dir, { recursive: true });
  const lines: string[] = [];
  const controller = new AbortController();
  const base = fakeContext({
    workRoot: root,
    jobDir,
    stepId: "s1",
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    signal: controller.signal,
    log: {
      debug: (m) => lines.push(`DEBUG ${m}`),
      info: (m) => lines.push(`INFO ${m}`),
      warn: (m) => lines.push(`WARNING ${m}`),
      error: (m) => lines.push(`ERROR ${m}`),
    },
    runNested: () => Promise.reject(new Error("runNested is not used by external.process")),
  });
  return {
    ...base,
    lines,
    root,
    controller,
    flowId: "f1",
    runId: "r1",
    jobId: "j1",
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

function run(inputs: Record<string, unknown>, ctx: StepContext) {
  return runStep(externalProcess, inputs, ctx);
}

/** True while `pid` is a live (non-zombie) process. */
function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Dead within a generous bound: a killed process closes its pipes a moment before it is a zombie. */
async function isDeadSoon(pid: number): Promise<boolean> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    if (!isAlive(pid)) return true;
    await new Promise((done) => setTimeout(done, 20));
  }
  return false;
}

async function readPid(path: string): Promise<number> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    if (text.trim() !== "") return Number(text.trim());
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error(`no pid in ${path}`);
}

const CAPTURE = { stdout: "capture", stderr: "capture" } as const;

Deno.test("externalProcess is a builtin named external.process", () => {
  assert.equal(externalProcess.type, "external.process");
  assert.equal(externalProcess.origin, "builtin");
});

Deno.test("run() captures stdout/stderr, logs each line and reports exit_code and attempts", async () => {
  await using ctx = await makeContext();
  const result = await run(
    { command: ["sh", "-c", "echo out1; echo out2; echo err1 >&2"], log: CAPTURE },
    ctx,
  );
  assert.equal(result.status, "SUCCESS");
  assert.deepEqual(result.outputs, {
    exit_code: 0,
    attempts: 1,
    stdout: "out1\nout2\n",
    stderr: "err1\n",
    outputs: {},
  });
  assert.ok(ctx.lines.includes("INFO external_process_stdout step_id=s1 line=out2"));
  assert.ok(ctx.lines.includes("WARNING external_process_stderr step_id=s1 line=err1"));
  assert.ok(
    ctx.lines.some((l) => l.startsWith('INFO external_process_start step_id=s1 attempt=1 command=["sh"')),
  );
  assert.ok(ctx.lines.includes("INFO external_process_exit step_id=s1 attempt=1 exit_code=0"));
  assert.ok(ctx.lines.includes("INFO external_process_success step_id=s1 attempts=1 exit_code=0"));
});

Deno.test("run() with shell: true runs /bin/sh -c and appends quoted args (D16)", async () => {
  await using ctx = await makeContext();
  const result = await run({
    command: "printf '%s|' \"$0\" | tr a-z A-Z; printf '%s|'",
    shell: true,
    args: ["a b", "$HOME", "it's"],
    log: CAPTURE,
  }, ctx);
  assert.equal(result.outputs?.stdout, "/BIN/SH|a b|$HOME|it's|");
});

Deno.test("run() gives the child the snapshot env, env entries and AETHERFLOW_* keys, never the live env", async () => {
  await using ctx = await makeContext({ SNAP: "from-snapshot", AETHERFLOW_RUN_ID: "stale" });
  const live = Deno.env.get("HOME") === undefined ? "USER" : "HOME";
  const script =
    `echo "$SNAP|$EXTRA|$AETHERFLOW_FLOW_ID|$AETHERFLOW_RUN_ID|$AETHERFLOW_OUTPUT_DIR|\${${live}:-unset}"`;
  const result = await run(
    { command: ["sh", "-c", script], env: { EXTRA: 5, SNAP: null }, log: CAPTURE },
    ctx,
  );
  assert.equal(result.outputs?.stdout, `|5|f1|r1|${ctx.artifactsDir}|unset\n`);

  // The shell itself may add PWD/SHLVL/_; everything else comes from us.
  const listEnv = "env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort";
  const bare = await run({ command: ["sh", "-c", listEnv], inherit_env: false, log: CAPTURE }, ctx);
  assert.equal(
    bare.outputs?.stdout,
    `AETHERFLOW_FLOW_ID=f1\nAETHERFLOW_OUTPUTS=${ctx.scratchDir}/aetherflow-outputs.s1\n` +
      `AETHERFLOW_OUTPUT_DIR=${ctx.artifactsDir}\nAETHERFLOW_RUN_ID=r1\n`,
  );
});

Deno.test("run() fails with the exit code, argv JSON and captured stderr", async () => {
  await using ctx = await makeContext();
  await assert.rejects(
    run({ command: ["sh", "-c", "echo boom >&2; exit 3"], log: CAPTURE }, ctx),
    { message: 'external.process failed with exit code 3\n["sh","-c","echo boom >&2; exit 3"]\nboom\n' },
  );
  await assert.rejects(run({ command: ["false"] }, ctx), {
    message: 'external.process failed with exit code 1\n["false"]',
  });
});

Deno.test("run() accepts custom success exit codes", async () => {
  await using ctx = await makeContext();
  const result = await run({ command: ["sh", "-c", "exit 4"], success: { exit_codes: [0, 4] } }, ctx);
  assert.equal(result.outputs?.exit_code, 4);
});

Deno.test("run() retries listed exit codes only, with backoff, keeping the file log open across attempts", async () => {
  await using ctx = await makeContext();
  const script = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "try $n"; ' +
    'echo "warn $n" >&2; [ "$n" -ge 3 ]  && exit 0; exit 7';
  const result = await run({
    command: ["sh", "-c", script],
    cwd: ".",
    log: { stdout: "file", stderr: "FILE", file_path: "logs/p.log" },
    retry: { max_attempts: 3, retry_on_exit_codes: [7], backoff_seconds: 0.05, backoff_multiplier: 2 },
  }, ctx);
  const logFile = join(ctx.artifactsDir, "logs", "p.log");
  assert.deepEqual(result.outputs, { exit_code: 0, attempts: 3, log_file: logFile, outputs: {} });
  const text = await Deno.readTextFile(logFile);
  for (const n of [1, 2, 3]) assert.ok(text.includes(`try ${n}\n`) && text.includes(`warn ${n}\n`), text);

  await Deno.remove(join(ctx.artifactsDir, "count"));
  await assert.rejects(
    run(
      {
        command: ["sh", "-c", script],
        cwd: ".",
        log: { stdout: "discard", stderr: "discard" },
        retry: { max_attempts: 3, retry_on_exit_codes: [9] },
      },
      ctx,
    ),
    { message: /^external\.process failed with exit code 7\n/ },
  );
  assert.equal((await Deno.readTextFile(join(ctx.artifactsDir, "count"))).trim(), "1");
});

Deno.test("run() on timeout kills the whole process group, grandchildren included (D16)", async () => {
  await using ctx = await makeContext();
  const pidFile = join(ctx.artifactsDir, "grandchild.pid");
  const started = Date.now();
  const running = run({
    command: ["sh", "-c", `sleep 30 & echo $! > ${pidFile}; sleep 30; wait`],
    log: CAPTURE,
    timeout_seconds: 0.3,
    kill_grace_seconds: 0.3,
  }, ctx);
  // No "still alive" check here: on a loaded machine the 0.3 s timeout may already have killed it; it would
  // otherwise sleep 30 s, so being dead below is the evidence.
  const grandchild = await readPid(pidFile);
  await assert.rejects(running, { message: "external.process timed out after 0.3s" });
  assert.ok(Date.now() - started < 10_000);
  assert.ok(await isDeadSoon(grandchild), "the grandchild outlived the timeout");
  assert.ok(ctx.lines.some((l) => l.startsWith("WARNING external_process_timeout step_id=s1 attempt=1")));
});

Deno.test("run() sends SIGKILL to the group after kill_grace_seconds when SIGTERM is ignored", async () => {
  await using ctx = await makeContext();
  const pidFile = join(ctx.artifactsDir, "stubborn.pid");
  const running = run({
    command: ["sh", "-c", `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`],
    log: { stdout: "discard", stderr: "discard" },
    timeout_seconds: 0.2,
    kill_grace_seconds: 0.3,
  }, ctx);
  const grandchild = await readPid(pidFile);
  await assert.rejects(running, { message: "external.process timed out after 0.2s" });
  assert.ok(await isDeadSoon(grandchild), "the grandchild outlived the kill");
});

Deno.test("run() retries on timeout when retry_on_timeout is set", async () => {
  await using ctx = await makeContext();
  await assert.rejects(
    run({
      command: ["sleep", "30"],
      timeout_seconds: "0.2",
      kill_grace_seconds: 0.2,
      retry: { max_attempts: 2, retry_on_timeout: true },
    }, ctx),
    { message: "external.process timed out after 0.2s" },
  );
  assert.equal(ctx.lines.filter((l) => l.startsWith("INFO external_process_start")).length, 2);
});

Deno.test("run() stops the group and fails with `terminated by <SIGNAL>` when the run is aborted (docs/execution-model.md)", async () => {
  await using ctx = await makeContext();
  const pidFile = join(ctx.artifactsDir, "grandchild.pid");
  const running = run({
    command: ["sh", "-c", `sleep 30 & echo $! > ${pidFile}; sleep 30; wait`],
    log: CAPTURE,
    kill_grace_seconds: 0.3,
    retry: { max_attempts: 3, retry_on_exit_codes: [143] },
  }, ctx);
  const grandchild = await readPid(pidFile);
  ctx.controller.abort("SIGINT");
  await assert.rejects(running, { message: "terminated by SIGINT" });
  assert.ok(await isDeadSoon(grandchild), "the grandchild outlived the kill");
  assert.equal(ctx.lines.filter((l) => l.startsWith("INFO external_process_start")).length, 1);
});

Deno.test("run() defaults the termination signal name to SIGTERM and never starts after an abort", async () => {
  await using ctx = await makeContext();
  ctx.controller.abort();
  await assert.rejects(run({ command: ["true"] }, ctx), { message: "terminated by SIGTERM" });
  assert.equal(ctx.lines.length, 0);
});

Deno.test("run() reports a child killed by a signal", async () => {
  await using ctx = await makeContext();
  await assert.rejects(run({ command: ["sh", "-c", "kill -9 $$"] }, ctx), {
    message: 'external.process killed by signal SIGKILL\n["sh","-c","kill -9 $$"]',
  });
  assert.ok(
    ctx.lines.includes("INFO external_process_exit step_id=s1 attempt=1 exit_code=null signal=SIGKILL"),
  );
});

Deno.test("run() starts the child as the leader of its own process group (D16)", async () => {
  await using ctx = await makeContext();
  const result = await run({
    command: ["sh", "-c", 'echo "$$ $(cut -d" " -f5 /proc/$$/stat)"'],
    log: CAPTURE,
  }, ctx);
  const [pid, pgid] = String(result.outputs?.stdout).trim().split(" ");
  assert.equal(pid, pgid);
  const ownPgid = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]?.split(" ")[2];
  assert.notEqual(pgid, ownPgid);
});

Deno.test("run() reads all output to the end (20 000 lines)", async () => {
  await using ctx = await makeContext();
  const result = await run({ command: ["seq", "1", "20000"], log: { stdout: "capture" } }, ctx);
  const lines = String(result.outputs?.stdout).trimEnd().split("\n");
  assert.equal(lines.length, 20000);
  assert.equal(lines.at(-1), "20000");
  assert.equal(ctx.lines.filter((l) => l.startsWith("INFO external_process_stdout")).length, 20000);
});

Deno.test("run() reports a capture cap explicitly instead of cutting silently (D16)", async () => {
  await using ctx = await makeContext();
  const result = await run({
    command: ["sh", "-c", "head -c 3000 /dev/zero | tr '\\0' x; echo small >&2"],
    log: { stdout: "capture", stderr: "capture", max_capture_kb: 1 },
  }, ctx);
  assert.equal(String(result.outputs?.stdout), "x".repeat(1024));
  assert.equal(result.outputs?.stdout_truncated, true);
  assert.equal(result.outputs?.stdout_dropped_bytes, 3000 - 1024);
  assert.equal(result.outputs?.stderr, "small\n");
  assert.equal(result.outputs?.stderr_truncated, undefined);
  assert.ok(
    ctx.lines.some((l) => l.startsWith("WARNING external_process stdout truncated at log.max_capture_kb=1")),
  );
});

Deno.test("run() with discard/inherit modes returns no captured text", async () => {
  await using ctx = await makeContext();
  const result = await run({ command: ["true"], log: { stdout: "discard", stderr: "inherit" } }, ctx);
  assert.deepEqual(result.outputs, { exit_code: 0, attempts: 1, outputs: {} });
});

Deno.test("run() merges inputs.outputs last, overwriting exit_code", async () => {
  await using ctx = await makeContext();
  const result = await run({ command: ["true"], outputs: { exit_code: "custom", extra: [1] } }, ctx);
  assert.deepEqual(result.outputs, { exit_code: "custom", attempts: 1, outputs: {}, extra: [1] });
});

Deno.test("run() skips when the marker exists and the checks pass, else runs", async () => {
  await using ctx = await makeContext();
  const inputs = {
    command: ["sh", "-c", "echo run >> runs.txt; touch done.marker"],
    cwd: ".",
    idempotency: { strategy: "marker" },
    success: { marker_file: "done.marker" },
  };
  const first = await run(inputs, ctx);
  assert.equal(first.status, "SUCCESS");
  const second = await run(inputs, ctx);
  const marker = join(ctx.artifactsDir, "done.marker");
  assert.deepEqual(second, {
    status: "SKIPPED",
    outputs: { skipped: true, marker, reason: "marker_present" },
    reason: "marker_present",
  });
  assert.equal(await Deno.readTextFile(join(ctx.artifactsDir, "runs.txt")), "run\n");

  // Marker present but a required file missing: the command runs again.
  const third = await run({
    ...inputs,
    success: { marker_file: "done.marker", require_files: ["runs.txt", "x"] },
  }, ctx)
    .catch((e: Error) => e.message);
  assert.equal(
    third,
    `external.process outputs invalid: missing_required_file:${join(ctx.artifactsDir, "x")}`,
  );
  assert.equal(await Deno.readTextFile(join(ctx.artifactsDir, "runs.txt")), "run\nrun\n");
});

Deno.test("run() with atomic_dir writes into a fresh temp dir and renames it onto the final dir", async () => {
  await using ctx = await makeContext();
  await Deno.mkdir(join(ctx.artifactsDir, "tmp_out"));
  await Deno.writeTextFile(join(ctx.artifactsDir, "tmp_out", "stale.txt"), "old");
  await Deno.mkdir(join(ctx.artifactsDir, "out"));
  await Deno.writeTextFile(join(ctx.artifactsDir, "out", "previous.txt"), "old");
  const result = await run({
    command: ["sh", "-c", 'ls "$AETHERFLOW_OUTPUT_DIR"; echo data > "$AETHERFLOW_OUTPUT_DIR/data.csv"'],
    log: CAPTURE,
    idempotency: { strategy: "atomic_dir", temp_output_dir: "tmp_out", final_output_dir: "out" },
    success: { require_glob: "out/*.csv", forbid_files: ["out/previous.txt"] },
  }, ctx);
  assert.equal(result.outputs?.stdout, "", "the temp dir was not emptied first");
  assert.deepEqual([...Deno.readDirSync(join(ctx.artifactsDir, "out"))].map((e) => e.name), ["data.csv"]);
  await assert.rejects(Deno.stat(join(ctx.artifactsDir, "tmp_out")));
});

Deno.test("run() with atomic_rename: false moves entries into the existing final dir", async () => {
  await using ctx = await makeContext();
  await Deno.mkdir(join(ctx.artifactsDir, "out"));
  await Deno.writeTextFile(join(ctx.artifactsDir, "out", "keep.txt"), "old");
  await Deno.writeTextFile(join(ctx.artifactsDir, "out", "data.csv"), "old");
  await run({
    command: ["sh", "-c", 'echo new > "$AETHERFLOW_OUTPUT_DIR/data.csv"'],
    idempotency: {
      strategy: "atomic_dir",
      temp_output_dir: "t/o",
      final_output_dir: "out",
      atomic_rename: "no",
    },
  }, ctx);
  assert.equal(await Deno.readTextFile(join(ctx.artifactsDir, "out", "data.csv")), "new\n");
  assert.equal(await Deno.readTextFile(join(ctx.artifactsDir, "out", "keep.txt")), "old");
});

Deno.test("run() success checks fail with the first failing reason, after atomic finalisation", async (t) => {
  await using ctx = await makeContext();
  const atomic = { strategy: "atomic_dir", temp_output_dir: "tmp", final_output_dir: "final" };
  const CASES = [
    ["empty glob", { require_glob: ["final/*.csv"] }, "missing_required_glob:final/*.csv"],
    [
      "forbidden file",
      { forbid_files: "final/a.txt" },
      `forbidden_file_present:${join(ctx.artifactsDir, "final", "a.txt")}`,
    ],
  ] as const;
  for (const [name, success, reason] of CASES) {
    await t.step(name, async () => {
      await assert.rejects(
        run(
          { command: ["sh", "-c", 'touch "$AETHERFLOW_OUTPUT_DIR/a.txt"'], idempotency: atomic, success },
          ctx,
        ),
        { message: `external.process outputs invalid: ${reason}` },
      );
      assert.ok(
        (await Deno.stat(join(ctx.artifactsDir, "final", "a.txt"))).isFile,
        "atomic output stays moved",
      );
    });
  }
});

Deno.test("run() sandboxes paths and fails spawn errors without retrying ", async (t) => {
  await using ctx = await makeContext();
  const retry = { max_attempts: 3, retry_on_exit_codes: [1, 127] };
  await t.step("cwd outside the allowed roots", async () => {
    await assert.rejects(run({ command: ["true"], cwd: "/" }, ctx), {
      message: `Path not under allowed roots: /. Allowed roots: ${
        JSON.stringify([ctx.root, ctx.artifactsDir])
      }`,
    });
  });
  await t.step("sandbox off allows it", async () => {
    const off = withEnv(ctx, { AETHERFLOW_STRICT_SANDBOX: "0" });
    const result = await run({ command: ["pwd"], cwd: "/", log: CAPTURE }, off);
    assert.equal(result.outputs?.stdout, "/\n");
  });
  await t.step("enterprise mode keeps paths in the artifacts dir", async () => {
    const ent = withEnv(ctx, { AETHERFLOW_MODE_ENTERPRISE: "yes" });
    await assert.rejects(run({ command: ["true"], cwd: "../scratch" }, ent), {
      message: "Path escapes job artifacts dir in enterprise mode: ../scratch",
    });
  });
  await t.step("missing cwd", async () => {
    await assert.rejects(run({ command: ["true"], cwd: "nope", retry }, ctx), {
      message: "external.process cwd is not an existing directory: nope",
    });
  });
  await t.step("unknown program", async () => {
    await assert.rejects(run({ command: ["no-such-program-xyz"], retry }, ctx), {
      message: 'external.process cannot execute "no-such-program-xyz": not found or not executable',
    });
  });
  assert.equal(ctx.lines.filter((l) => l.startsWith("INFO external_process_start")).length, 1);
});

Deno.test("run() checks required inputs and unknown keys at run time (docs/steps.md)", async () => {
  await using ctx = await makeContext();
  await assert.rejects(run({}, ctx), { message: 'Step s1 missing inputs: ["command"]' });
  await assert.rejects(run({ command: ["true"], log: { stdot: "capture" } }, ctx), {
    message: "Unknown input log.stdot",
  });
});

Deno.test("run() checks the program on every run: removed or no longer executable is a spawn error", async () => {
  await using ctx = await makeContext();
  const bin = join(ctx.root, "bin");
  await Deno.mkdir(bin);
  const prog = join(bin, "af-prog");
  await Deno.writeTextFile(prog, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const env = { ...ctx.env, PATH: `${bin}:${ctx.env.PATH}` };
  const local = { ...ctx, env };
  const inputs = { command: ["af-prog"], retry: { max_attempts: 2, retry_on_exit_codes: [126, 127] } };
  const notFound = { message: 'external.process cannot execute "af-prog": not found or not executable' };
  assert.equal((await run(inputs, local)).outputs?.exit_code, 0);
  await Deno.chmod(prog, 0o644);
  await assert.rejects(run(inputs, local), notFound);
  await Deno.chmod(prog, 0o755);
  assert.equal((await run(inputs, local)).outputs?.exit_code, 0);
  await Deno.remove(prog);
  await assert.rejects(run(inputs, local), notFound);
});

Deno.test("run() turns what the child writes to $AETHERFLOW_OUTPUTS into typed result.outputs", async () => {
  await using ctx = await makeContext();
  const script = [
    `echo "n=3" >> "$AETHERFLOW_OUTPUTS"`,
    `echo 'name=daily "eu"' >> "$AETHERFLOW_OUTPUTS"`,
    `echo '{"ok": true, "ids": [1, 2]}' >> "$AETHERFLOW_OUTPUTS"`,
    `printf 'note<<EOF\\nline 1\\nline 2\\nEOF\\n' >> "$AETHERFLOW_OUTPUTS"`,
  ].join("; ");
  const result = await run({ command: ["sh", "-c", script] }, ctx);
  assert.deepEqual(result.outputs?.outputs, {
    n: 3,
    name: 'daily "eu"',
    ok: true,
    ids: [1, 2],
    note: "line 1\nline 2",
  });
  const entries = [...Deno.readDirSync(ctx.scratchDir)].map((e) => e.name);
  assert.deepEqual(entries, [], "the outputs file is removed after the step");
});

Deno.test("run() reads the outputs file of the successful attempt only, and refuses a malformed one", async () => {
  await using ctx = await makeContext();
  const marker = join(ctx.artifactsDir, "tried");
  const script = `if [ -f ${marker} ]; then echo "second=1" >> "$AETHERFLOW_OUTPUTS"; exit 0; fi; ` +
    `touch ${marker}; echo "first=1" >> "$AETHERFLOW_OUTPUTS"; exit 7`;
  const result = await run({
    command: ["sh", "-c", script],
    retry: { max_attempts: 2, retry_on_exit_codes: [7] },
  }, ctx);
  assert.deepEqual(result.outputs?.outputs, { second: 1 });
  await assert.rejects(
    run({ command: ["sh", "-c", `echo "s3cr3t value" >> "$AETHERFLOW_OUTPUTS"`] }, ctx),
    (err: Error) => {
      assert.equal(
        err.message,
        "external.process outputs file ($AETHERFLOW_OUTPUTS) line 1: expected key=value, key<<DELIM or a JSON object",
      );
      return true;
    },
  );
});
