import assert from "node:assert/strict";
import { compileWat } from "../../testdata/plugins/build.ts";
import { capMemoryPages, sha256Hex } from "./wasm_bytes.ts";

Deno.test("sha256Hex() gives the lowercase hex digest", async () => {
  // FIPS 180-2 test vector for "abc".
  const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(await sha256Hex(new TextEncoder().encode("abc")), want);
});

const GROW = `(module (memory (export "m") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`;

Deno.test("capMemoryPages() bounds memory.grow by the cap, with or without a declared max", async (t) => {
  const CASES = [
    ["no declared maximum", GROW],
    ["a larger declared maximum", GROW.replace('(memory (export "m") 1)', '(memory (export "m") 1 65536)')],
  ] as const;
  for (const [name, wat] of CASES) {
    await t.step(name, async () => {
      const capped = capMemoryPages(await compileWat("grow", wat), 4);
      const { instance } = await WebAssembly.instantiate(capped as Uint8Array<ArrayBuffer>);
      const grow = instance.exports.grow as (n: number) => number;
      assert.equal(grow(3), 1);
      assert.equal(grow(1), -1);
    });
  }
});

Deno.test("capMemoryPages() refuses an initial memory above the cap", async () => {
  const bytes = await compileWat("big", `(module (memory 10))`);
  assert.throws(() => capMemoryPages(bytes, 4), { code: "plugin:memory", exitCode: 2 });
});

Deno.test("capMemoryPages() refuses bytes that are not WebAssembly", () => {
  assert.throws(() => capMemoryPages(new TextEncoder().encode("hello world"), 4), {
    code: "plugin:invalid_module",
  });
});
