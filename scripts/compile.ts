// Build dist/aetherflow, one self-contained executable, with `deno compile`.
//
// `deno compile` needs the `denort` runtime. It downloads it unless DENORT_BIN points at a local copy
// (Deno reads DENORT_BIN itself); machines without network access to dl.deno.land must set it.
// Permissions are baked in: a workflow engine reads/writes the paths flows name, runs processes, opens
// connections and reads env — but it never loads native code, so no --allow-ffi and no --allow-all.
export const COMPILE_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-sys",
];

// Caps every WASM memory in the process (plugins) at 256 MiB; see docs/plugin-security.md.
export const V8_FLAGS = "--v8-flags=--wasm-max-mem-pages=4096";

export function compileArgs(output = "dist/aetherflow"): string[] {
  return ["compile", ...COMPILE_PERMISSIONS, V8_FLAGS, "--output", output, "cli/main.ts"];
}

if (import.meta.main) {
  const output = Deno.args[0] ?? "dist/aetherflow";
  const root = new URL("../", import.meta.url).pathname;
  const denort = Deno.env.get("DENORT_BIN");
  console.error(`deno ${compileArgs(output).join(" ")}${denort ? ` (DENORT_BIN=${denort})` : ""}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output),
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0 && !denort) {
    console.error(
      "deno compile failed. Without network access to dl.deno.land, point DENORT_BIN at a denort binary " +
        "for Deno 2.9.6 (x86_64-unknown-linux-gnu), or use `deno task bundle` (docs/install.md).",
    );
  }
  Deno.exit(code);
}
