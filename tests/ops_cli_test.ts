// The rest of the operations surface through the real CLI: init, graph, completions, --env-file, run --help,
// journald priorities, and JSON errors for usage mistakes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writePluginLock } from "../plugins/lock/mod.ts";
import { writeTestPlugin } from "../testdata/plugins/build.ts";
import { MAIN, runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

Deno.test("init writes a project that validates, runs, schedules and verifies at once; never overwrites", async () => {
  await using dir = await tempDir();
  const project = join(dir.path, "etl");
  const r = await runCli(["init", project]);
  assert.equal(r.code, 0, r.stderr);
  for (
    const f of [
      "flow.yaml",
      "profiles.yaml",
      ".env.example",
      "scheduler.yaml",
      "aetherflow.plugins.yaml",
      ".gitignore",
    ]
  ) {
    await Deno.stat(join(project, f));
  }
  assert.match(r.stdout, /aetherflow plugin new/);
  const cwd = project;
  await Deno.copyFile(join(project, ".env.example"), join(project, ".env"));
  assert.equal((await runCli(["validate", "flow.yaml"], { cwd })).code, 0);
  const run = await runCli(["run", "flow.yaml", "--env-file", ".env", "--run-id", "first"], { cwd });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /hello from run first: 3 items/);
  assert.equal((await runCli(["schedule", "validate", "scheduler.yaml"], { cwd })).code, 0);
  assert.equal((await runCli(["plugin", "verify", "flow.yaml"], { cwd })).code, 0);
  const listed = JSON.parse((await runCli(["runs", "list", "flow.yaml", "--json"], { cwd })).stdout);
  assert.deepEqual(listed.runs.map((x: { run_id: string; status: string }) => [x.run_id, x.status]), [[
    "first",
    "SUCCESS",
  ]]);

  const again = await runCli(["init", project]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /File exists: .*flow\.yaml \(use --force to overwrite\)/);
  const forced = await runCli(["init", project, "--force", "--json"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(forced.stdout).files.length, 6);
});

Deno.test("graph prints Mermaid (default) and DOT: depends_on edges, when gates, plugin steps marked", async () => {
  await using dir = await tempDir();
  const plugin = await writeTestPlugin("t_noop", dir.path);
  await writePluginLock({
    file: join(dir.path, "aetherflow.plugins.yaml"),
    plugins: [{ path: "t_noop.wasm", sha256: plugin.sha256 }],
  });
  const flow = await writeDemoFlow(
    dir.path,
    `
  - id: extract
    steps:
      - {id: count, type: check_items, inputs: {items: [1]}, outputs: {c: "{{result.count}}"}}
  - id: "load \\"x\\""
    depends_on: [extract]
    when: jobs.extract.outputs.c > 0
    steps:
      - {id: p, type: t_noop}
`,
  );
  const m = await runCli(["graph", flow]);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(
    m.stdout.trim(),
    [
      "flowchart TD",
      '  j0["<b>extract</b><br/>count (check_items)"]',
      '  j1["<b>load #quot;x#quot;</b><br/><i>when: jobs.extract.outputs.c #gt; 0</i><br/>p (t_noop) [plugin]"]',
      "  class j1 gated",
      "  j0 --> j1",
      "  classDef gated stroke-dasharray: 5 5",
    ].join("\n"),
  );
  const d = await runCli(["graph", "--flow-yaml", flow, "--format", "dot"]);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /^digraph "demo" \{$/m);
  assert.match(
    d.stdout,
    /j1 \[label="load \\"x\\"\\lwhen: jobs\.extract\.outputs\.c > 0\\lp \(t_noop\) \[plugin\]\\l", style=dashed\];/,
  );
  assert.match(d.stdout, /^ {2}j0 -> j1;$/m);
  const bad = await runCli(["graph", flow, "--format", "png"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /must be mermaid or dot/);
});

Deno.test("completions bash completes commands, sub-commands and options when sourced in bash", async () => {
  const r = await runCli(["completions", "bash"]);
  assert.equal(r.code, 0, r.stderr);
  await using dir = await tempDir();
  const script = join(dir.path, "af.bash");
  await Deno.writeTextFile(script, r.stdout);
  const complete = async (...words: string[]) => {
    const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
      `COMP_CWORD=${words.length - 1}; _aetherflow; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = await new Deno.Command("bash", { args: ["-c", line], cwd: dir.path }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim().split("\n").filter((x) => x !== "");
  };
  assert.deepEqual(await complete("aetherflow", "ru"), ["run", "runs"]);
  assert.deepEqual(await complete("aetherflow", "runs", "d"), ["diff"]);
  assert.deepEqual(await complete("aetherflow", "locks", "release", "--f"), ["--flow", "--force"]);
  assert.deepEqual(
    await complete("aetherflow", "runs", "show", "x", "af"),
    ["af.bash"],
    "files for arguments",
  );
  assert.deepEqual(
    await complete("aetherflow", "state", ""),
    ["migrate", "--help"],
    "hidden aliases are not offered",
  );
});

Deno.test("completions zsh and fish are syntactically valid where those shells exist", async (t) => {
  for (const shell of ["zsh", "fish"] as const) {
    const r = await runCli(["completions", shell]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /runs/);
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${shell}`] }).output();
    await t.step({
      name: `${shell} -n`,
      ignore: found.code !== 0,
      fn: async () => {
        await using dir = await tempDir();
        const file = join(dir.path, `af.${shell}`);
        await Deno.writeTextFile(file, r.stdout);
        const out = await new Deno.Command(shell, { args: ["-n", file] }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      },
    });
  }
  const bad = await runCli(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
});

Deno.test("--env-file on run/validate/doctor/explain: repeatable, later wins, missing file exits 2 naming it", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    `
  - id: a
    steps:
      - id: s
        type: external.process
        inputs: {command: ["sh", "-c", "echo region={{env.REGION}} tier={{env.TIER}}"]}
`,
  );
  await Deno.writeTextFile(join(dir.path, "base.env"), "REGION=eu\nTIER=gold\n");
  await Deno.writeTextFile(join(dir.path, "prod.json"), JSON.stringify({ REGION: "us" }));
  const files = ["--env-file", join(dir.path, "base.env"), "--env-file", join(dir.path, "prod.json")];
  const run = await runCli(["run", flow, ...files]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^region=us tier=gold$/m);
  for (const cmd of ["validate", "doctor", "explain"]) {
    const r = await runCli([cmd, flow, ...files]);
    assert.equal(r.code, 0, `${cmd}: ${r.stdout}${r.stderr}`);
  }
  const doctorWithout = await runCli(["doctor", flow]);
  assert.equal(doctorWithout.code, 2, "without the env files the keys are missing");
  const missing = await runCli(["run", flow, "--env-file", join(dir.path, "nope.env")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Env file not found: .*nope\.env/);
});

Deno.test("run --help lists the environment variables that matter, with examples", async () => {
  const r = await runCli(["run", "--help"]);
  assert.equal(r.code, 0);
  for (
    const v of [
      "AETHERFLOW_ENV_FILES_JSON",
      "AETHERFLOW_LOG_FORMAT",
      "AETHERFLOW_STATE_SYNCHRONOUS",
      "JOURNAL_STREAM",
    ]
  ) {
    assert.ok(r.stdout.includes(v), v);
  }
  assert.match(r.stdout, /--env-file <path>/);
  assert.match(r.stdout, /Examples:/);
});

const NEW_COMMANDS = [
  ["runs", "list"],
  ["runs", "show"],
  ["runs", "diff"],
  ["runs", "logs"],
  ["runs", "prune"],
  ["locks", "list"],
  ["locks", "release"],
  ["init"],
  ["graph"],
  ["completions"],
] as const;

Deno.test("every new command has --help with an example", async (t) => {
  for (const cmd of NEW_COMMANDS) {
    await t.step(cmd.join(" "), async () => {
      const r = await runCli([...cmd, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples?:\n {2}(source |aetherflow )/);
    });
  }
});

Deno.test("under --json a usage error is a JSON document too (exit 2)", async () => {
  const r = await runCli(["runs", "list", "--bogus", "--json"]);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.ok, false);
  assert.deepEqual(Object.keys(doc.errors[0]), ["code", "loc", "msg"]);
  assert.match(doc.errors[0].msg, /unknown option '--bogus'/);
});

Deno.test("with stderr on the journal (JOURNAL_STREAM names it), log lines carry syslog priorities", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(
    dir.path,
    "  - id: a\n    steps:\n      - {id: s, type: external.process, inputs: {command: [sh, -c, 'exit 3']}}\n",
  );
  // The shell computes stderr's device:inode and hands it on, as systemd does for StandardError=journal.
  const cmd =
    `export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$0" run -A --quiet "$1" run "$2"`;
  const out = await new Deno.Command("sh", {
    args: ["-c", cmd, Deno.execPath(), MAIN, flow],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  assert.equal(out.code, 1);
  assert.ok(lines.every((l) => /^<[3467]>/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => l.startsWith("<6>") && l.includes("run_start")));
  assert.ok(lines.some((l) => l.startsWith("<3>") && l.includes("Job failed")));
  // An inherited JOURNAL_STREAM that does not name stderr changes nothing.
  const plain = await runCli(["run", flow], { env: { JOURNAL_STREAM: "1:1" } });
  assert.ok(plain.stderr.trim().split("\n").every((l) => !l.startsWith("<")), plain.stderr);
});

Deno.test("doctor --connect probes every resource: OK, FAIL with the reason (exit 1), secrets masked", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const flow = await writeDemoFlow(
    dir.path,
    "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n",
    {
      resources: [
        "  api: {kind: echo, driver: echo, config: {greeting: hi}}",
        `  db: {kind: echo, driver: echo, config: {host: 127.0.0.1, port: ${closedPort}, password: "{{env.DB_PASSWORD}}"}}`,
      ].join("\n"),
    },
  );
  const env = { DB_PASSWORD: "hunter2-secret" };
  const text = await runCli(["doctor", flow, "--connect", "--timeout", "5"], { env });
  assert.equal(text.code, 1, text.stdout + text.stderr);
  assert.match(text.stdout, /^OK: /m);
  assert.match(text.stdout, /^ {2}OK {3}api \(echo\/echo\) \d+ ms - probe answered$/m);
  assert.match(
    text.stdout,
    new RegExp(
      `^  FAIL db  \\(echo/echo\\) \\d+ ms - cannot connect to 127\\.0\\.0\\.1:${closedPort}: `,
      "m",
    ),
  );
  const json = await runCli(["doctor", flow, "--connect", "--json"], { env });
  assert.equal(json.code, 1);
  assert.ok(!json.stdout.includes("hunter2-secret"));
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.connect.map((c: { resource: string; status: string }) => [c.resource, c.status]), [
    ["api", "OK"],
    ["db", "FAIL"],
  ]);
  assert.deepEqual(doc.errors.map((e: { code: string; loc: string }) => [e.code, e.loc]), [
    ["connect:failed", "resources.db"],
  ]);
  // Without --connect nothing is opened: doctor stays about env keys.
  const plain = await runCli(["doctor", flow], { env });
  assert.equal(plain.code, 0, plain.stdout);
  assert.doesNotMatch(plain.stdout, /connect:/);
  // Missing env still exits 2 (invalid input), and the resource that needs it fails alone.
  const missing = await runCli(["doctor", flow, "--connect"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stdout, /needs env DB_PASSWORD/);
  assert.match(missing.stdout, /^ {2}OK {3}api /m);
  const bad = await runCli(["doctor", flow, "--connect", "--timeout", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /seconds/);
});
