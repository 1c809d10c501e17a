import assert from "node:assert/strict";
import { join } from "node:path";
import { scaffoldPlugin } from "./scaffold.ts";

Deno.test("scaffoldPlugin() writes a self-contained plugin project with a copy of the SDK", async () => {
  const dir = await Deno.makeTempDir({ prefix: "af-scaffold-" });
  try {
    const target = join(dir, "acme");
    const files = (await scaffoldPlugin({ name: "acme", dir: target })).map((f) => f.slice(target.length + 1))
      .sort();
    assert.deepEqual(files, [
      ".gitignore",
      "README.md",
      "assembly/aetherflow/aetherflow.ts",
      "assembly/aetherflow/json.ts",
      "assembly/index.ts",
      "deno.json",
      "package.json",
      "plugin_test.ts",
    ]);
    assert.match(await Deno.readTextFile(join(target, "assembly/index.ts")), /"type":"acme\.hello"/);
    const deno = JSON.parse(await Deno.readTextFile(join(target, "deno.json")));
    assert.match(deno.tasks.build, /--use abort=assembly\/aetherflow\/aetherflow\/aetherflowAbort/);
    await assert.rejects(scaffoldPlugin({ name: "acme", dir: target }), {
      code: "usage",
      message: /not empty/,
    });
    await assert.rejects(scaffoldPlugin({ name: "1 bad", dir: join(dir, "x") }), {
      message: /Invalid plugin name/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
