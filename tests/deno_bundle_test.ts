// The same entry point must work bundled (`deno task bundle`): build it and drive the CLI through it.
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { compileArgs } from "../scripts/compile.ts";
import { ROOT, tempDir } from "./_helpers.ts";

async function _deno(args: string[], cwd = ROOT) {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno bundle output runs the CLI: --version, validate ok and invalid", async () => {
  await using dir = await tempDir();
  const js = join(dir.path, "aetherflow.js");
  // ssh2's optional native addons are never built: left external, ssh2 uses its pure-JS crypto (docs/install.md).
  const built = await _deno([
    "bundle",
    "--quiet",
    "--platform=deno",
    "--external",
    "*.node",
    "-o",
    js,
    "cli/main.ts",
  ]);
  assert.equal(built.code, 0, built.stderr);

  const run = (args: string[]) => _deno(["run", "--allow-all", "--quiet", js, ...args], dir.path);
  const version = await run(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), denoJson.version);

  const ok = await run(["validate", join(ROOT, "testdata/flows/valid/minimal.yaml")]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^OK: /);

  const bad = await run(["validate", "--json", join(ROOT, "testdata/flows/invalid/typos.yaml")]);
  assert.equal(bad.code, 2);
  const report = JSON.parse(bad.stdout);
  assert.equal(report.ok, false);
  assert.ok(report.errors.length > 0);

  // The scaffold's SDK travels inside the bundle (no loose files next to it).
  const scaffold = await run(["plugin", "new", "acme"]);
  assert.equal(scaffold.code, 0, scaffold.stderr);
  assert.match(
    await Deno.readTextFile(join(dir.path, "acme", "assembly", "aetherflow", "extism.ts")),
    /input_length/,
  );
});

Deno.test("compile task bakes narrow permissions (no --allow-all, no --allow-ffi) into dist/aetherflow", () => {
  const args = compileArgs();
  assert.equal(args[0], "compile");
  assert.ok(!args.includes("--allow-all") && !args.includes("-A"));
  assert.ok(!args.some((a) => a.startsWith("--allow-ffi")));
  assert.equal(args[args.indexOf("--output") + 1], "dist/aetherflow");
  assert.equal(args.at(-1), "cli/main.ts");
  assert.match(denoJson.tasks.compile, /scripts\/compile\.ts/);
});
