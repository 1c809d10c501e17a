// `deno task bench`: runs every benchmark in scripts/bench/ in turn (name order) and prints their reports.
// Timing budgets live here, never in unit tests. Pass names to run a subset: `deno task bench validate runner`.
const dir = new URL("./bench/", import.meta.url);
const only = new Set(Deno.args);
const names: string[] = [];
for await (const e of Deno.readDir(dir)) {
  if (e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_")) names.push(e.name);
}
names.sort();
let failed = 0;
for (const name of names) {
  if (only.size > 0 && !only.has(name.replace(/\.ts$/, ""))) continue;
  console.log(`\n=== bench: ${name} ===`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--wasm-max-mem-pages=4096", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    failed++;
    console.log(`bench ${name} exited ${code}`);
  }
}
Deno.exit(failed === 0 ? 0 : 1);
