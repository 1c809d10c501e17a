// A child's output is masked in every `external.process` log mode (docs/secrets.md "Child process output", D18;
// issue 9 item 2): a step printing a secret from its env in `inherit` (the default) or `file` mode must not put it
// in clear text on the terminal or in the log file. Run through the real CLI; stdout and stderr stay apart,
// nothing else is changed or cut, and bytes that are not UTF-8 pass through.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

const TOKEN = "tok-Child-31337-xyz";
const STEP_PASSWORD = "step-Env-Pass-777";
const SECRETS = [TOKEN, STEP_PASSWORD];

// Prints the secret whole, cut in two writes (a pause between them makes the engine read two chunks), inside
// non-UTF-8 bytes, and a long line; stderr gets its own lines.
const SCRIPT = [
  'echo "out1 token=$API_TOKEN pw=$MY_PASSWORD plain-out"',
  'echo "err1 token=$API_TOKEN plain-err" >&2',
  `printf 'cut:%s' "$(printf %s "$API_TOKEN" | cut -c1-7)"`,
  "sleep 0.3",
  `printf '%s:end\\n' "$(printf %s "$API_TOKEN" | cut -c8-)"`,
  `printf '\\377\\376bin:%s\\200\\n' "$API_TOKEN"`,
  `head -c 100000 /dev/zero | tr '\\0' x; echo "$API_TOKEN"`,
  'echo "err2 done" >&2',
].join("; ");

function jobs(log: string): string {
  return `  - id: j
    steps:
      - id: p
        type: external.process
        inputs:
          command: [sh, -c, ${JSON.stringify(SCRIPT)}]
          env: {MY_PASSWORD: ${STEP_PASSWORD}}
          log: ${log}
`;
}

const LONG_LINE = `${"x".repeat(100000)}***\n`;
const enc = new TextEncoder();

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function assertNoSecret(where: string, text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} leaks ${secret}`);
  // Nor the half the child printed first, glued to the second half.
  assert.ok(!text.includes(TOKEN.slice(0, 7) + TOKEN.slice(7)), where);
}

const BINARY_LINE = Uint8Array.of(0xff, 0xfe, ...enc.encode("bin:***"), 0x80, 0x0a);

Deno.test("inherit mode: the child's stdout and stderr reach the engine's own, masked, apart and whole", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, jobs("{stdout: inherit, stderr: inherit}"));
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { API_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  assertNoSecret("stdout", r.stdout);
  assertNoSecret("stderr", r.stderr);
  assert.ok(r.stdout.includes("out1 token=*** pw=*** plain-out\n"), r.stdout);
  assert.ok(r.stdout.includes("cut:***:end\n"), r.stdout);
  assert.ok(r.stdout.includes(LONG_LINE), "the long line arrives whole, masked");
  assert.ok(includesBytes(r.raw.stdout, BINARY_LINE), "non-UTF-8 bytes pass unchanged");
  assert.ok(r.stderr.includes("err1 token=*** plain-err\n"), r.stderr);
  assert.ok(r.stderr.includes("err2 done\n"), r.stderr);
  // stdout and stderr are not mixed up (stderr's log lines quote the command, not its output).
  assert.ok(!r.stdout.includes("err1") && !r.stdout.includes("err2"), r.stdout);
  assert.ok(!r.stderr.includes("out1 token=***") && !r.stderr.includes("cut:***"), r.stderr);
});

Deno.test("inherit is the default mode and masks too", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, jobs("{}"));
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { API_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  assertNoSecret("stdout", r.stdout);
  assertNoSecret("stderr", r.stderr);
  assert.ok(r.stdout.includes("out1 token=*** pw=*** plain-out\n"), r.stdout);
  assert.ok(r.stderr.includes("err1 token=*** plain-err\n"), r.stderr);
});

Deno.test("file mode: the log file holds both streams masked, line by line, bytes unchanged", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, jobs("{stdout: file, stderr: file, file_path: logs/p.log}"));
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { API_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  const bytes = await Deno.readFile(join(dir.path, "ws/demo/j/R1/artifacts/logs/p.log"));
  const text = new TextDecoder().decode(bytes);
  assertNoSecret("log file", text);
  assertNoSecret("stdout", r.stdout);
  assertNoSecret("stderr", r.stderr);
  // Whole lines: the two streams share the file but do not cut each other's lines (only a line longer than 64
  // KiB is written in parts, and a line of the other stream may land between them).
  const errLines = ["err1 token=*** plain-err\n", "err2 done\n"];
  for (const line of errLines) assert.ok(text.includes(line), `missing ${line}`);
  const stdoutOnly = errLines.reduce((t, line) => t.replace(line, ""), text);
  const lines = stdoutOnly.split("\n");
  for (const line of ["out1 token=*** pw=*** plain-out", "cut:***:end", "x".repeat(100000) + "***"]) {
    assert.ok(lines.includes(line), `missing line ${line.slice(0, 40)}`);
  }
  assert.ok(includesBytes(bytes, BINARY_LINE), "non-UTF-8 bytes pass unchanged");
  assert.ok(!r.stdout.includes("out1 token=***") && !r.stderr.includes("err1 token=***"), "not echoed");
});

Deno.test("stdout to a file and stderr inherited: each masked where it goes", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, jobs("{stdout: file, stderr: inherit, file_path: logs/p.log}"));
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { API_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  const text = await Deno.readTextFile(join(dir.path, "ws/demo/j/R1/artifacts/logs/p.log"));
  assertNoSecret("log file", text);
  assertNoSecret("stderr", r.stderr);
  assert.ok(text.includes("out1 token=*** pw=*** plain-out\n") && !text.includes("err1"), text.slice(0, 200));
  assert.ok(r.stderr.includes("err1 token=*** plain-err\n"), r.stderr);
  assert.ok(!r.stderr.includes("out1 token=***"), r.stderr);
});

Deno.test("capture mode masks the same output in its log lines (every mode alike)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, jobs("{stdout: capture, stderr: capture}"));
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { API_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  assertNoSecret("stdout", r.stdout);
  assertNoSecret("stderr", r.stderr);
  assert.ok(r.stderr.includes("line=out1 token=*** pw=*** plain-out\n"), r.stderr);
  assert.ok(r.stderr.includes("line=err1 token=*** plain-err\n"), r.stderr);
  assert.ok(r.stderr.includes("line=cut:***:end\n"), r.stderr);
});
