// Pure planning of external.process: argv, typing, env, backoff, retry decisions, validation
// (docs/steps.md "external.process").
import assert from "node:assert/strict";
import {
  backoffDelay,
  buildArgv,
  buildChildEnv,
  decideAttempt,
  EXTERNAL_PROCESS_INPUTS,
  planExternalProcess,
  type RetryPlan,
  shellQuote,
  STEP_TYPE,
} from "./_external_process_plan.ts";
import { validateExternalProcess } from "./_external_process_validate.ts";
import { stepInputIssues } from "./inputs.ts";
import { CaptureBuffer, LineSplitter } from "./_output_capture.ts";

Deno.test("buildArgv() treats a list as argv and renders items as text (D16, docs/steps.md)", () => {
  assert.deepEqual(buildArgv(["echo", 1, true, 1.5, { a: 1 }], { args: ["x y"], shell: false }), [
    "echo",
    "1",
    "true",
    "1.5",
    '{"a":1}',
    "x y",
  ]);
});

Deno.test("buildArgv() runs a string through /bin/sh -c with args shell-quoted", () => {
  assert.deepEqual(
    buildArgv("echo hi | tr a-z A-Z", { args: ["a b", "it's", "$HOME", "plain"], shell: true }),
    [
      "/bin/sh",
      "-c",
      `echo hi | tr a-z A-Z 'a b' 'it'\\''s' '$HOME' plain`,
    ],
  );
  assert.equal(shellQuote(""), "''");
});

Deno.test("buildArgv() rejects bad command shapes with the contract messages", async (t) => {
  const CASES = [
    [
      "string without shell",
      "echo hi",
      null,
      false,
      "external.process inputs.command is a string; set shell: true or give a list",
    ],
    [
      "list with shell",
      ["echo"],
      null,
      true,
      "external.process with shell: true needs inputs.command as a string",
    ],
    ["args not a list", ["echo"], "x", false, "external.process inputs.args must be a list"],
    ["null argv item", ["echo", null], null, false, "external.process inputs.command[1] must not be null"],
    ["null args item", ["echo"], [null], false, "external.process inputs.args[0] must not be null"],
    ["map command", { a: 1 }, null, false, "external.process inputs.command must be a string or list"],
    ["null command", null, null, false, "external.process requires inputs.command"],
    ["empty list", [], null, false, "external.process requires inputs.command"],
  ] as const;
  for (const [name, command, args, shell, message] of CASES) {
    await t.step(name, () => {
      assert.throws(() => buildArgv(command, { args, shell }), { message, code: "step:invalid_input" });
    });
  }
});

Deno.test("planExternalProcess() applies the documented defaults", () => {
  const plan = planExternalProcess({ command: ["true"] }, "s1");
  assert.deepEqual(plan.argv, ["true"]);
  assert.equal(plan.timeoutSeconds, null);
  assert.equal(plan.killGraceSeconds, 15);
  assert.equal(plan.inheritEnv, true);
  assert.deepEqual(plan.log, { stdout: "inherit", stderr: "inherit", filePath: null, maxCaptureBytes: null });
  assert.deepEqual(plan.idempotency, {
    strategy: "none",
    markerPath: null,
    tempOutputDir: null,
    finalOutputDir: null,
    atomicRename: true,
  });
  assert.deepEqual(plan.success, { exitCodes: [0], requireFiles: [], requireGlob: [], forbidFiles: [] });
  assert.deepEqual(plan.retry, {
    maxAttempts: 1,
    backoffSeconds: 0,
    backoffMultiplier: 1,
    maxBackoffSeconds: 0,
    retryOnExitCodes: [],
    retryOnTimeout: false,
  });
  assert.deepEqual(plan.outputs, {});
});

Deno.test("planExternalProcess() types and coerces inputs (D17)", () => {
  const plan = planExternalProcess({
    command: "exit 0",
    shell: "yes",
    timeout_seconds: "0.2",
    kill_grace_seconds: 1,
    inherit_env: "false",
    env: { A: 1, B: null, C: "c" },
    log: { stdout: " CAPTURE ", stderr: "", max_capture_kb: "2" },
    idempotency: { strategy: "Marker" },
    success: { exit_codes: [], marker_file: "done.marker", require_files: "a.txt" },
    retry: { max_attempts: "3", retry_on_exit_codes: 7, retry_on_timeout: "on" },
  }, "s1");
  assert.equal(plan.timeoutSeconds, 0.2);
  assert.equal(plan.timeoutText, "0.2");
  assert.equal(plan.inheritEnv, false);
  assert.deepEqual(plan.env, { A: "1", B: "", C: "c" });
  assert.equal(plan.log.stdout, "capture");
  assert.equal(plan.log.stderr, "inherit");
  assert.equal(plan.log.maxCaptureBytes, 2048);
  assert.equal(plan.idempotency.strategy, "marker");
  assert.equal(plan.idempotency.markerPath, "done.marker");
  assert.deepEqual(plan.success.exitCodes, [0]);
  assert.deepEqual(plan.success.requireFiles, ["a.txt", "done.marker"]);
  assert.deepEqual(plan.retry.retryOnExitCodes, [7]);
  assert.equal(plan.retry.maxAttempts, 3);
  assert.equal(plan.retry.retryOnTimeout, true);
});

Deno.test("planExternalProcess() fails on bad inputs with the contract messages", async (t) => {
  const CASES = [
    ["missing command", {}, 'Step s1 missing inputs: ["command"]'],
    ["unknown top-level key", { command: ["true"], comand: 1 }, "Unknown input comand"],
    [
      "unknown nested key",
      { command: ["true"], retry: { max_atempts: 2 } },
      "Unknown input retry.max_atempts",
    ],
    ["nested not a map", { command: ["true"], log: "capture" }, "external.process inputs.log must be a map"],
    ["bad log mode", { command: ["true"], log: { stdout: "Pipe" } }, "Unknown log mode: Pipe"],
    [
      "file mode without path",
      { command: ["true"], log: { stderr: "file" } },
      "log.file_path is required when stdout/stderr mode is 'file'",
    ],
    [
      "unsupported strategy",
      { command: ["true"], idempotency: { strategy: "lock" } },
      "Unsupported idempotency strategy: lock",
    ],
    [
      "atomic_dir without dirs",
      { command: ["true"], idempotency: { strategy: "atomic_dir", temp_output_dir: "t" } },
      "atomic_dir requires temp_output_dir and final_output_dir",
    ],
    [
      "marker without path",
      { command: ["true"], idempotency: { strategy: "marker" } },
      "idempotency.strategy marker requires idempotency.marker_path or success.marker_file",
    ],
    [
      "max_attempts below 1",
      { command: ["true"], retry: { max_attempts: 0 } },
      "external.process inputs.retry.max_attempts must be >= 1",
    ],
    [
      "non-boolean shell",
      { command: ["true"], shell: "maybe" },
      "external.process inputs.shell must be a boolean",
    ],
    [
      "non-integer exit code",
      { command: ["true"], success: { exit_codes: [0, "x"] } },
      "external.process inputs.success.exit_codes[1] must be an integer",
    ],
    [
      "non-number timeout",
      { command: ["true"], timeout_seconds: "soon" },
      "external.process inputs.timeout_seconds must be a number",
    ],
    [
      "negative grace",
      { command: ["true"], kill_grace_seconds: -1 },
      "external.process inputs.kill_grace_seconds must be >= 0",
    ],
    ["env not a map", { command: ["true"], env: ["A=1"] }, "external.process inputs.env must be a map"],
    ["outputs not a map", { command: ["true"], outputs: 3 }, "external.process inputs.outputs must be a map"],
    ["non-string path", { command: ["true"], cwd: 5 }, "external.process inputs.cwd must be a path string"],
  ] as const;
  for (const [name, inputs, message] of CASES) {
    await t.step(name, () => {
      assert.throws(() => planExternalProcess(inputs as Record<string, unknown>, "s1"), { message });
    });
  }
});

Deno.test("buildChildEnv() layers snapshot, env, then AETHERFLOW_* which always win (D16)", () => {
  const context = {
    snapshot: { PATH: "/bin", AETHERFLOW_RUN_ID: "stale", KEEP: "k" },
    flowId: "f1",
    runId: "r1",
    outputDir: "/out",
  };
  assert.deepEqual(
    buildChildEnv({ inheritEnv: true, env: { KEEP: "override", AETHERFLOW_FLOW_ID: "x" } }, context),
    {
      PATH: "/bin",
      KEEP: "override",
      AETHERFLOW_FLOW_ID: "f1",
      AETHERFLOW_RUN_ID: "r1",
      AETHERFLOW_OUTPUT_DIR: "/out",
    },
  );
  assert.deepEqual(buildChildEnv({ inheritEnv: false, env: { A: "1" } }, context), {
    A: "1",
    AETHERFLOW_FLOW_ID: "f1",
    AETHERFLOW_RUN_ID: "r1",
    AETHERFLOW_OUTPUT_DIR: "/out",
  });
});

Deno.test("backoffDelay() follows backoff * multiplier^(n-2), capped when max > 0", async (t) => {
  const base: RetryPlan = {
    maxAttempts: 5,
    backoffSeconds: 1,
    backoffMultiplier: 2,
    maxBackoffSeconds: 0,
    retryOnExitCodes: [],
    retryOnTimeout: false,
  };
  const CASES = [
    ["no sleep before attempt 1", base, 1, 0],
    ["attempt 2 sleeps backoff", base, 2, 1],
    ["attempt 4 sleeps backoff*4", base, 4, 4],
    ["capped by max_backoff", { ...base, maxBackoffSeconds: 3 }, 4, 3],
    ["no backoff, no sleep", { ...base, backoffSeconds: 0, maxBackoffSeconds: 3 }, 3, 0],
  ] as const;
  for (const [name, retry, attempt, want] of CASES) {
    await t.step(name, () => assert.equal(backoffDelay(retry, attempt), want));
  }
});

Deno.test("decideAttempt() retries only listed exit codes and timeouts when enabled", async (t) => {
  const plan = planExternalProcess({
    command: ["prog", "a"],
    timeout_seconds: 0.2,
    success: { exit_codes: [0, 3] },
    retry: { max_attempts: 2, retry_on_exit_codes: [7], retry_on_timeout: true },
  }, "s");
  const noTimeoutRetry = { ...plan, retry: { ...plan.retry, retryOnTimeout: false } };
  const CASES = [
    ["accepted exit code", plan, { kind: "exit", code: 3 }, 1, null, { action: "success" }],
    ["listed code with attempts left", plan, { kind: "exit", code: 7 }, 1, null, { action: "retry" }],
    [
      "listed code on the last attempt",
      plan,
      { kind: "exit", code: 7 },
      2,
      "boom",
      { action: "fail", message: 'external.process failed with exit code 7\n["prog","a"]\nboom' },
    ],
    [
      "unlisted code is not retried",
      plan,
      { kind: "exit", code: 1 },
      1,
      null,
      { action: "fail", message: 'external.process failed with exit code 1\n["prog","a"]' },
    ],
    ["timeout with retry_on_timeout", plan, { kind: "timeout" }, 1, null, { action: "retry" }],
    [
      "timeout on the last attempt",
      plan,
      { kind: "timeout" },
      2,
      null,
      { action: "fail", message: "external.process timed out after 0.2s" },
    ],
    [
      "timeout without retry_on_timeout",
      noTimeoutRetry,
      { kind: "timeout" },
      1,
      null,
      { action: "fail", message: "external.process timed out after 0.2s" },
    ],
    [
      "killed by a signal",
      plan,
      { kind: "signal", signal: "SIGKILL" },
      1,
      "",
      { action: "fail", message: 'external.process killed by signal SIGKILL\n["prog","a"]\n' },
    ],
  ] as const;
  for (const [name, p, outcome, attempt, stderr, want] of CASES) {
    await t.step(name, () => assert.deepEqual(decideAttempt(outcome, { plan: p, attempt, stderr }), want));
  }
});

Deno.test("external.process validation reports every rule on raw values", async (t) => {
  const CASES = [
    ["valid list", { command: ["echo", "{{env.X}}"] }, []],
    ["valid shell string", { command: "echo hi", shell: true }, []],
    ["missing command (no further checks)", { shell: false }, [[
      "semantic:external_process_missing_command",
      "command",
      "external.process requires inputs.command",
    ]]],
    ["null command", { command: null }, [[
      "semantic:external_process_missing_command",
      "command",
      "external.process requires inputs.command",
    ]]],
    ["command type", { command: 5 }, [[
      "semantic:external_process_command_type",
      "command",
      "external.process inputs.command must be a string or list",
    ]]],
    ["string without shell", { command: "echo hi" }, [[
      "semantic:external_process_shell_required",
      "command",
      "external.process inputs.command is a string; set shell: true or give a list",
    ]]],
    ["string with shell: false", { command: "echo hi", shell: "false" }, [[
      "semantic:external_process_shell_required",
      "command",
      "external.process inputs.command is a string; set shell: true or give a list",
    ]]],
    ["shell is a template", { command: "echo hi", shell: "{{env.SHELL_ON}}" }, []],
    ["command is a standalone token", { command: "{{steps.a.argv}}" }, []],
    ["bad log modes", { command: ["x"], log: { stdout: "pipe", stderr: "CAPTURE" } }, [[
      "semantic:external_process_log_mode",
      "log.stdout",
      "Unknown log mode: pipe",
    ]]],
    ["empty log mode is inherit", { command: ["x"], log: { stdout: "" } }, []],
    ["templated log mode", { command: ["x"], log: { stdout: "{{env.MODE}}" } }, []],
    ["file without path", { command: ["x"], log: { stderr: "File" } }, [[
      "semantic:external_process_log_file",
      "log.file_path",
      "log.file_path is required when stdout/stderr mode is 'file'",
    ]]],
    ["atomic_dir without final", {
      command: ["x"],
      idempotency: { strategy: "atomic_dir", temp_output_dir: "t" },
    }, [[
      "semantic:external_process_atomic_dir",
      "idempotency",
      "atomic_dir requires temp_output_dir and final_output_dir",
    ]]],
    ["unknown keys with hints", { command: ["x"], timeout: 1, retry: { max_atempts: 2 }, log: { zzz: 1 } }, [
      // Nested maps first, in schema order, then the unknown keys of the top level.
      ["semantic:unknown_input", "log.zzz", "Extra inputs are not permitted"],
      [
        "semantic:unknown_input",
        "retry.max_atempts",
        "Extra inputs are not permitted (did you mean 'max_attempts'?)",
      ],
      ["semantic:unknown_input", "timeout", "Extra inputs are not permitted"],
    ]],
    ["typo at top level", { command: ["x"], timeout_second: 1 }, [[
      "semantic:unknown_input",
      "timeout_second",
      "Extra inputs are not permitted (did you mean 'timeout_seconds'?)",
    ]]],
  ] as const;
  for (const [name, raw, want] of CASES) {
    await t.step(name, () => {
      const def = { type: STEP_TYPE, inputs: EXTERNAL_PROCESS_INPUTS, validate: validateExternalProcess };
      const got = stepInputIssues(def, raw as Record<string, unknown>).map((i) => [i.code, i.loc, i.msg]);
      assert.deepEqual(got, want.map((row) => [...row]));
    });
  }
});

Deno.test("CaptureBuffer keeps the first cap bytes and reports what it dropped (D16)", () => {
  const uncapped = new CaptureBuffer(null);
  uncapped.push(new TextEncoder().encode("abc"));
  assert.equal(uncapped.text(), "abc");
  assert.equal(uncapped.truncated, false);

  const capped = new CaptureBuffer(5);
  capped.push(new TextEncoder().encode("abcd"));
  capped.push(new TextEncoder().encode("é-xyz")); // "é" is 2 bytes: the cut falls inside it
  assert.equal(capped.truncated, true);
  assert.equal(capped.text(), "abcd");
  assert.equal(capped.droppedBytes, 6);
});

Deno.test("LineSplitter splits across chunks, strips CR and flushes the last line", () => {
  const splitter = new LineSplitter();
  const enc = new TextEncoder();
  assert.deepEqual(splitter.push(enc.encode("a\r\nb")), ["a"]);
  assert.deepEqual(splitter.push(enc.encode("c\nd")), ["bc"]);
  assert.deepEqual(splitter.flush(), ["d"]);
});
