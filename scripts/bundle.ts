// Build dist/aetherflow.js, one self-contained JavaScript file, with `deno bundle` (docs/install.md).
//
// Every npm dependency is inlined, so the file runs with or without a `node_modules` beside it. ssh2 and its
// optional cpu-features `require()` native addons (`*.node`) that are never built: they stay external, their
// `require()` fails at run time and ssh2 uses its pure-JS crypto, as it does unbundled. Tests build through
// bundleArgs() so they check exactly what this task produces.
export function bundleArgs(output = "dist/aetherflow.js"): string[] {
  return ["bundle", "--quiet", "--platform=deno", "--external", "*.node", "-o", output, "cli/main.ts"];
}

if (import.meta.main) {
  const output = Deno.args[0] ?? "dist/aetherflow.js";
  const root = new URL("../", import.meta.url).pathname;
  console.error(`deno ${bundleArgs(output).join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: bundleArgs(output),
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}
