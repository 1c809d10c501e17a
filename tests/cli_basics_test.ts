import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { ROOT, runCli } from "./_helpers.ts";

Deno.test("aetherflow --version prints the package version and exits 0", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), denoJson.version);
});

Deno.test("aetherflow with an unknown command exits 2 with usage on stderr", async () => {
  const r = await runCli(["no-such-command"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: aetherflow/);
});

Deno.test("aetherflow with no arguments prints usage on stderr and exits 2", async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Usage: aetherflow \[options\] \[command\]/);
  assert.match(r.stderr, /validate \[options\] \[flow_yaml\]/);
});

Deno.test("deno task aetherflow runs the CLI with or without a `--` (docs/install.md)", async (t) => {
  for (const args of [["--", "--version"], ["--version"], ["--", "validate", "--help"]]) {
    await t.step(args.join(" "), async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "aetherflow", ...args],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      if (args.includes("--version")) assert.equal(stdout.trim(), denoJson.version);
      else assert.match(stdout, /Usage: aetherflow validate/);
    });
  }
});
