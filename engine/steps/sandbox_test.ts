import assert from "node:assert/strict";
import { join } from "node:path";
import { createStepPaths } from "./sandbox.ts";

async function _layout() {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "af-sandbox-" }));
  const workRoot = join(root, "work");
  const artifactsDir = join(workRoot, "flow", "job", "run", "artifacts");
  const outside = join(root, "outside");
  await Deno.mkdir(artifactsDir, { recursive: true });
  await Deno.mkdir(outside);
  return {
    root,
    workRoot,
    artifactsDir,
    outside,
    paths: (env: Record<string, string> = {}) => createStepPaths({ artifactsDir, workRoot, env }),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

Deno.test("paths.resolve() puts relative paths under the artifacts dir, even ones that do not exist yet", async () => {
  await using l = await _layout();
  assert.equal(await l.paths().resolve("out/a.csv"), join(l.artifactsDir, "out", "a.csv"));
  assert.equal(await l.paths().resolve("x/../b.csv"), join(l.artifactsDir, "b.csv"));
});

Deno.test("paths.resolve() accepts absolute paths under the work root", async () => {
  await using l = await _layout();
  const inside = join(l.workRoot, "shared", "in.csv");
  assert.equal(await l.paths().resolve(inside), inside);
});

Deno.test("paths.resolve() refuses paths outside the allowed roots, naming the roots", async () => {
  await using l = await _layout();
  const raw = join(l.outside, "x");
  await assert.rejects(l.paths().resolve(raw), {
    name: "StepError",
    message: `Path not under allowed roots: ${raw}. Allowed roots: ${
      JSON.stringify([l.workRoot, l.artifactsDir])
    }`,
  });
  await assert.rejects(l.paths().resolve("../../../../../outside/x"), { name: "StepError" });
});

Deno.test("paths.resolve() follows symlinks: a link inside pointing outside is refused", async () => {
  await using l = await _layout();
  await Deno.symlink(l.outside, join(l.artifactsDir, "link"));
  await assert.rejects(
    l.paths().resolve("link/secret.txt"),
    /Path not under allowed roots: link\/secret.txt/,
  );
});

Deno.test("paths.resolve() in enterprise mode allows only the artifacts dir", async () => {
  await using l = await _layout();
  const paths = l.paths({ AETHERFLOW_MODE_ENTERPRISE: "yes" });
  assert.equal(await paths.resolve("a"), join(l.artifactsDir, "a"));
  const raw = join(l.workRoot, "a");
  await assert.rejects(paths.resolve(raw), {
    message: `Path escapes job artifacts dir in enterprise mode: ${raw}`,
  });
});

Deno.test("paths.resolve() checks nothing when AETHERFLOW_STRICT_SANDBOX is off", async () => {
  await using l = await _layout();
  const raw = join(l.outside, "x");
  assert.equal(await l.paths({ AETHERFLOW_STRICT_SANDBOX: "off" }).resolve(raw), raw);
});
