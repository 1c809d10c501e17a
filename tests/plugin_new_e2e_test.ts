// The documented plugin sequence end to end (docs/plugins.md "From nothing to a running step"):
// `plugin new` -> `deno task build` -> `deno task test` -> `plugin pin` -> `run`. With
// tests/demo_plugins_build_test.ts, one of the two tests that fetch AssemblyScript (into Deno's cache, once per
// machine) and compile plugins with it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempDir } from "./_helpers.ts";

async function _task(cwd: string, task: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", task],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("plugin new -> build -> test -> pin -> run, with a lockfile, one dependency and no re-install", async () => {
  await using dir = await tempDir();
  const created = await runCli(["plugin", "new", "acme"], { cwd: dir.path });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^next: cd acme && deno task build && deno task test$/m);
  const project = join(dir.path, "acme");

  const build = await _task(project, "build");
  assert.equal(build.code, 0, build.stderr);
  assert.doesNotMatch(build.stdout + build.stderr, /\bwarn(ing)?\b/i);
  const wasm = join(project, "build", "acme.wasm");
  assert.ok((await Deno.stat(wasm)).size > 0);
  // Nothing is installed into the project, and a rebuild fetches nothing.
  await assert.rejects(Deno.stat(join(project, "node_modules")), Deno.errors.NotFound);
  const rebuild = await _task(project, "build");
  assert.equal(rebuild.code, 0, rebuild.stderr);
  assert.doesNotMatch(rebuild.stderr, /Download|Initialize/);

  const test = await _task(project, "test");
  assert.equal(test.code, 0, test.stdout + test.stderr);

  const flows = join(dir.path, "flows");
  await Deno.mkdir(flows);
  await Deno.writeTextFile(
    join(flows, "flow.yaml"),
    [
      "flow:",
      "  id: greet",
      `  state: {path: ${dir.path}/state.sqlite}`,
      `  workspace: {root: ${dir.path}/work}`,
      "jobs:",
      "  - id: hello",
      "    steps:",
      "      - {id: greet, type: acme.hello, inputs: {who: world, shout: true}}",
      "      - id: show",
      "        type: external.process",
      "        inputs: {command: [echo, 'said: {{ steps.greet.greeting }}']}",
      "",
    ].join("\n"),
  );
  const pin = await runCli([
    "plugin",
    "pin",
    "acme/build/acme.wasm",
    "--lock",
    "flows/aetherflow.plugins.yaml",
  ], {
    cwd: dir.path,
  });
  assert.equal(pin.code, 0, pin.stderr);
  assert.match(pin.stdout, /^Copied acme\/build\/acme\.wasm to flows\/plugins\/acme\.wasm$/m);
  const lock = await Deno.readTextFile(join(flows, "aetherflow.plugins.yaml"));
  assert.match(lock, /path: plugins\/acme\.wasm/);
  assert.doesNotMatch(lock, /build/);

  // A rebuild in the project does not touch the pinned copy: the flow keeps running.
  await Deno.writeTextFile(wasm, "not the pinned module");
  const run = await runCli(["run", "flows/flow.yaml"], { cwd: dir.path });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout + run.stderr, /said: HELLO, WORLD!/);
});
