import assert from "node:assert/strict";
import { join } from "node:path";
import { compileWat, testPluginSource } from "../../testdata/plugins/build.ts";
import { INIT_EXPORTS, INTERRUPT_IMPORT, rewriteModule } from "./_wasm_rewrite.ts";

const WAT_DIR = new URL("../../testdata/plugins/", import.meta.url).pathname;
const EXAMPLES_DIR = new URL("../../testdata/plugins/examples/", import.meta.url).pathname;
const OPTS = { allocBudgetBytes: 16 << 20 };

async function testPlugins(): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for await (const e of Deno.readDir(WAT_DIR)) {
    if (!e.name.endsWith(".wat") || e.name.startsWith("_")) continue;
    const name = e.name.slice(0, -4);
    out.push([name, await compileWat(name, await testPluginSource(name))]);
  }
  for await (const e of Deno.readDir(EXAMPLES_DIR)) {
    if (e.name.endsWith(".wasm")) out.push([e.name, await Deno.readFile(join(EXAMPLES_DIR, e.name))]);
  }
  return out;
}

Deno.test("rewriteModule() keeps every test and example plugin a valid module with the same exports", async () => {
  const plugins = await testPlugins();
  assert.ok(plugins.some(([n]) => n.endsWith(".wasm")), "the AssemblyScript examples are included");
  for (const [name, bytes] of plugins) {
    const { bytes: out } = rewriteModule(bytes, OPTS);
    assert.ok(WebAssembly.validate(out as Uint8Array<ArrayBuffer>), name);
    const before = WebAssembly.Module.exports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>))
      .map((e) => e.name).filter((n) => n !== "_initialize" && n !== "hs_init");
    const after = WebAssembly.Module.exports(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>)).map((
      e,
    ) => e.name);
    for (const e of before) assert.ok(after.includes(e), `${name} keeps export ${e}`);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>));
    assert.ok(imports.some((i) => i.module === "extism:host/user" && i.name === INTERRUPT_IMPORT), name);
  }
});

Deno.test("rewriteModule() moves start-up code out of instantiation, in Extism's order", async () => {
  const bytes = await compileWat(
    "startup",
    `(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 0))
      (func $s (global.set $g (i32.const 1))) (start $s)
      (func (export "hs_init")) (func (export "_initialize"))
      (func (export "aetherflow_describe") (result i32) (global.get $g)))`,
  );
  const { bytes: out, initExports } = rewriteModule(bytes, OPTS);
  assert.deepEqual(initExports, [INIT_EXPORTS.start, INIT_EXPORTS.initialize, INIT_EXPORTS.hsInit]);
  const imports = { "extism:host/user": { [INTERRUPT_IMPORT]: () => 0n } };
  const inst = new WebAssembly.Instance(new WebAssembly.Module(out as Uint8Array<ArrayBuffer>), imports);
  const exp = inst.exports as Record<string, () => number>;
  assert.equal(exp.aetherflow_describe!(), 0, "the start function did not run while instantiating");
  exp[INIT_EXPORTS.start]!();
  assert.equal(exp.aetherflow_describe!(), 1);
  assert.equal(exp._initialize, undefined);
});

Deno.test("rewriteModule() interrupts a loop once the host says the call was abandoned", async () => {
  const bytes = await compileWat(
    "spin",
    `(module (memory (export "memory") 1) (func (export "spin") (loop $l (br $l))))`,
  );
  let asked = 0;
  const imports = {
    "extism:host/user": { [INTERRUPT_IMPORT]: () => (++asked >= 2 ? 1n : 0n) },
  };
  const out = rewriteModule(bytes, OPTS).bytes as Uint8Array<ArrayBuffer>;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(out), imports);
  assert.throws(() => (inst.exports.spin as () => void)(), WebAssembly.RuntimeError);
  assert.equal(asked, 2);
});

Deno.test("rewriteModule() counts host-side allocations per call, also through a table", async () => {
  const bytes = await compileWat(
    "alloc",
    `(module
      (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
      (type $a (func (param i64) (result i64)))
      (table 1 funcref) (elem (i32.const 0) $alloc)
      (memory (export "memory") 1)
      (func (export "direct") (param $n i64) (result i64) (call $alloc (local.get $n)))
      (func (export "indirect") (param $n i64) (result i64)
        (call_indirect (type $a) (local.get $n) (i32.const 0))))`,
  );
  const asked: bigint[] = [];
  const imports = {
    "extism:host/env": { alloc: (n: bigint) => (asked.push(n), 0n) },
    "extism:host/user": { [INTERRUPT_IMPORT]: () => 0n },
  };
  const out = rewriteModule(bytes, { allocBudgetBytes: 100 }).bytes as Uint8Array<ArrayBuffer>;
  const e = new WebAssembly.Instance(new WebAssembly.Module(out), imports).exports as Record<
    string,
    (n: bigint) => bigint
  >;
  e.direct!(60n);
  e.direct!(60n); // a new call: the count starts again
  e.indirect!(60n);
  assert.deepEqual(asked, [60n, 60n, 60n]);
  // Within one call the sizes add up; past the budget the kernel is asked for -1 bytes (and throws).
  const twice = rewriteModule(
    await compileWat(
      "alloc2",
      `(module (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
        (memory (export "memory") 1)
        (func (export "twice") (result i64) (drop (call $alloc (i64.const 60))) (call $alloc (i64.const 60))))`,
    ),
    { allocBudgetBytes: 100 },
  ).bytes as Uint8Array<ArrayBuffer>;
  asked.length = 0;
  (new WebAssembly.Instance(new WebAssembly.Module(twice), imports).exports.twice as () => bigint)();
  assert.deepEqual(asked, [60n, -1n]);
});

Deno.test("rewriteModule() refuses what it cannot bound: unknown instructions, reserved export names", () => {
  // (module (func (export "f") <0xfb 0x80 ...>)): a string-proposal instruction.
  const unknownOp = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    0x60,
    0,
    0,
    3,
    2,
    1,
    0,
    7,
    5,
    1,
    1,
    0x66,
    0,
    0,
    10,
    7,
    1,
    5,
    0,
    0xfb,
    0x80,
    0x01,
    0x0b,
  ]);
  assert.throws(() => rewriteModule(unknownOp, OPTS), { code: "plugin:invalid_module", message: /0xfb 128/ });
  // (module (func (export "__af_start")))
  const reserved = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    0x60,
    0,
    0,
    3,
    2,
    1,
    0,
    7,
    14,
    1,
    10,
    ...new TextEncoder().encode("__af_start"),
    0,
    0,
    10,
    4,
    1,
    2,
    0,
    0x0b,
  ]);
  assert.throws(() => rewriteModule(reserved, OPTS), { code: "plugin:invalid_module", message: /reserved/ });
});

Deno.test("rewriteModule() answers a refused WASI call (path_symlink) with EPERM, other imports untouched", async () => {
  const bytes = await compileWat(
    "sym",
    `(module
      (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_symlink" (func $sym (param i32 i32 i32 i32 i32) (result i32)))
      (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
      (memory (export "memory") 1)
      (func (export "sym") (result i32) (call $sym (i32.const 0) (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 0)))
      (func (export "close") (result i32) (call $close (i32.const 7)))
      (func (export "alloc") (result i64) (call $alloc (i64.const 5))))`,
  );
  const calls: string[] = [];
  const imports = {
    wasi_snapshot_preview1: { fd_close: (fd: number) => (calls.push(`close ${fd}`), 0) },
    "extism:host/env": { alloc: (n: bigint) => (calls.push(`alloc ${n}`), 0n) },
    "extism:host/user": { [INTERRUPT_IMPORT]: () => 0n },
  };
  const mod = new WebAssembly.Module(rewriteModule(bytes, OPTS).bytes as Uint8Array<ArrayBuffer>);
  assert.ok(!WebAssembly.Module.imports(mod).some((i) => i.name === "path_symlink"));
  const e = new WebAssembly.Instance(mod, imports).exports as Record<string, () => number | bigint>;
  assert.equal(e.sym!(), 63);
  assert.equal(e.close!(), 0);
  assert.equal(e.alloc!(), 0n);
  assert.deepEqual(calls, ["close 7", "alloc 5"]);
});
