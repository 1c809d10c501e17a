import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { runCli } from "./_helpers.ts";

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
