/**
 * Builds the WAT test plugins of this folder in-test (no binary fixture is committed): each `<name>.wat` gets
 * `_prelude.wat` inserted at its `;; @prelude` line, then wabt compiles it.
 * @module
 */
import wabtInit from "wabt";
import { join } from "node:path";
import { sha256Hex } from "../../plugins/host/wasm_bytes.ts";

const _DIR = fromFileUrlCompat(new URL("./", import.meta.url));
let _wabt: ReturnType<typeof wabtInit> | undefined;

function fromFileUrlCompat(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** The WAT source of test plugin `name` with the prelude inserted. */
export async function testPluginSource(name: string): Promise<string> {
  const src = await Deno.readTextFile(join(_DIR, `${name}.wat`));
  const prelude = await Deno.readTextFile(join(_DIR, "_prelude.wat"));
  return src.replace(";; @prelude", prelude);
}

/** Compile WAT text to wasm bytes. */
export async function compileWat(name: string, source: string): Promise<Uint8Array> {
  _wabt ??= wabtInit();
  const wabt = await _wabt;
  const mod = wabt.parseWat(`${name}.wat`, source);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Compile test plugin `name`, write `<dir>/<name>.wasm`, return its path and sha256. */
export async function writeTestPlugin(name: string, dir: string): Promise<{ path: string; sha256: string }> {
  const bytes = await compileWat(name, await testPluginSource(name));
  const path = join(dir, `${name}.wasm`);
  await Deno.writeFile(path, bytes);
  return { path, sha256: await sha256Hex(bytes) };
}
