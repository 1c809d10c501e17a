import assert from "node:assert/strict";
import { join } from "node:path";
import { ASSEMBLYSCRIPT, EXTISM, scaffoldPlugin } from "./scaffold.ts";
import { SCAFFOLD_LOCK, SDK_SOURCES } from "./_sources.gen.ts";

Deno.test("scaffoldPlugin() writes a self-contained plugin project with a copy of the SDK and a lockfile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "af-scaffold-" });
  try {
    const target = join(dir, "acme");
    const files = (await scaffoldPlugin({ name: "acme", dir: target })).map((f) => f.slice(target.length + 1))
      .sort();
    assert.deepEqual(files, [
      ".gitignore",
      "README.md",
      "assembly/aetherflow/aetherflow.ts",
      "assembly/aetherflow/extism.ts",
      "assembly/aetherflow/fs.ts",
      "assembly/aetherflow/json.ts",
      "assembly/index.ts",
      "deno.json",
      "deno.lock",
      "plugin_test.ts",
    ]);
    assert.match(await Deno.readTextFile(join(target, "assembly/index.ts")), /"type":"acme\.hello"/);
    const deno = JSON.parse(await Deno.readTextFile(join(target, "deno.json")));
    assert.match(deno.tasks.build, /^deno run --frozen .*npm:assemblyscript@0\.28\.20\/asc /);
    assert.match(deno.tasks.build, /--use abort=assembly\/aetherflow\/aetherflow\/aetherflowAbort/);
    assert.equal(deno.nodeModulesDir, "none");
    assert.deepEqual(deno.imports, { assemblyscript: ASSEMBLYSCRIPT, "@extism/extism": EXTISM });
    // No PDK package: the SDK declares the Extism host functions itself.
    for (const text of Object.values(SDK_SOURCES)) assert.doesNotMatch(text, /from "@extism\/as-pdk/);
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

Deno.test("the scaffold's lockfile pins exactly what its deno.json imports: assemblyscript and its two dependencies", () => {
  const lock = JSON.parse(SCAFFOLD_LOCK);
  assert.deepEqual(Object.keys(lock.specifiers).sort(), [EXTISM, ASSEMBLYSCRIPT].sort());
  assert.deepEqual(Object.keys(lock.npm).map((k) => k.replace(/@[^@]+$/, "")).sort(), [
    "@extism/extism",
    "assemblyscript",
    "binaryen",
    "long",
  ]);
  for (const entry of Object.values(lock.npm) as { integrity: string }[]) {
    assert.match(entry.integrity, /^sha512-/);
  }
});

Deno.test("_sources.gen.ts matches plugins/sdk (run `deno task sdk:gen` after editing the SDK)", async () => {
  for (const [file, text] of Object.entries(SDK_SOURCES)) {
    const source = await Deno.readTextFile(
      new URL(`./assembly/${file.replace(/\.ts$/, ".as")}`, import.meta.url),
    );
    assert.equal(text, source, file);
  }
  assert.equal(SCAFFOLD_LOCK, await Deno.readTextFile(new URL("./scaffold.lock.json", import.meta.url)));
  const names = [];
  for await (const e of Deno.readDir(new URL("./assembly/", import.meta.url))) names.push(e.name);
  assert.deepEqual(names.sort(), Object.keys(SDK_SOURCES).map((f) => f.replace(/\.ts$/, ".as")).sort());
});
