// Smaller hardening cases through the CLI (docs/state.md, docs/cli.md, docs/secrets.md): a state DB deleted
// while a run uses it fails the run instead of exiting 0 with nothing recorded; a run id with a control
// character is refused; an AETHERFLOW_SECRETS_PLUGIN that nothing provides is an error.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

Deno.test("a state DB deleted during a run fails the run, exit 1, naming what happened", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "state.sqlite");
  const flow = await writeDemoFlow(
    dir.path,
    `  - id: a
    steps:
      - id: rm
        type: external.process
        inputs: {command: [sh, -c, 'rm -f "$DB" "$DB-wal" "$DB-shm"']}
  - id: b
    steps:
      - {id: s, type: check_items, inputs: {items: [1]}}
`,
  );
  const r = await runCli(["run", flow, "--run-id", "R1"], { env: { DB: db } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /State database .*state\.sqlite was deleted or replaced while this process used it/);
});

Deno.test("a run id with a control character is refused before anything is written (exit 2)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps:\n      - {id: s, type: noop}\n");
  for (const [id, code] of [["R1\nINFO forged", "000A"], ["R1\u001b[2J", "001B"], ["R\u2028x", "2028"]]) {
    const r = await runCli(["run", flow, "--run-id", id!]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`Invalid --run-id .*control character \\(U\\+${code}\\)`));
  }
  assert.equal(
    await Deno.stat(join(dir.path, "state.sqlite")).catch(() => null),
    null,
    "no state DB created",
  );
});

Deno.test("AETHERFLOW_SECRETS_PLUGIN naming a plugin nothing provides is an error (exit 2)", async () => {
  await using dir = await tempDir();
  const flow = await writeDemoFlow(dir.path, "  - id: a\n    steps:\n      - {id: s, type: noop}\n");
  for (const command of ["validate", "run"]) {
    const r = await runCli([command, flow], { env: { AETHERFLOW_SECRETS_PLUGIN: "vault-provider" } });
    assert.equal(r.code, 2, `${command}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /Secrets plugin not found: \*\*\* \(AETHERFLOW_SECRETS_PLUGIN\); no plugin lock/);
  }
});

Deno.test("validate refuses a 10 MB one-line sequence (5 M items) with exit 2 before parsing it", async () => {
  await using dir = await tempDir();
  const flow = join(dir.path, "huge.yaml");
  await Deno.writeTextFile(flow, `x: [${"0,".repeat(5_200_000)}0]\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", MAIN, "validate", flow],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).spawn();
  // Peak RSS of the child (VmHWM), polled while it runs: the parse it replaced took 4.3 GB.
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // The process has exited.
    }
  }, 20);
  const out = await child.output().finally(() => clearInterval(poll));
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 2, stdout);
  assert.match(stdout, /yaml:too_many_nodes - Too many YAML nodes: about \d+, limit is 120000/);
  assert.ok(peakKb < 400 * 1024, `peak RSS ${peakKb} kB`);
});
