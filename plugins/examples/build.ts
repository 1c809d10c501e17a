// Builds the example plugins (AssemblyScript) into testdata/plugins/examples/*.wasm, outside the project's
// dependency graph: AssemblyScript is not a project dependency. Needs only Deno and the npm registry (once:
// the package lands in Deno's cache), with the same pinned versions as a `plugin new` scaffold.
// Run: `deno run -A plugins/examples/build.ts` (the `plugins:build` task). Exact commands, per example:
//   (the `.as` sources copied to a temp dir as `.ts`, with a scaffold's deno.json and deno.lock)
//   deno run --frozen --allow-read --allow-write --allow-env npm:assemblyscript@0.28.20/asc \
//     plugins/examples/<name>/index.ts --outFile <name>.wasm \
//     --use abort=plugins/sdk/assembly/aetherflow/aetherflowAbort --optimize
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ASSEMBLYSCRIPT, EXTISM } from "../sdk/scaffold.ts";

export const EXAMPLES = ["csv_select", "rest_get", "b64_secrets"] as const;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "testdata/plugins/examples");

async function sh(cwd: string, cmd: string, args: string[]): Promise<void> {
  const { code } = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" }).output();
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${code}`);
}

async function _renameAsSources(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const full = join(dir, e.name);
    if (e.isDirectory) await _renameAsSources(full);
    else if (e.name.endsWith(".as")) await Deno.rename(full, full.replace(/\.as$/, ".ts"));
  }
}

if (import.meta.main) {
  const work = await Deno.makeTempDir({ prefix: "af-asbuild-" });
  try {
    await Deno.mkdir(join(work, "plugins"));
    for (const dir of ["sdk", "examples"]) {
      await sh(ROOT, "cp", ["-r", join(ROOT, "plugins", dir), join(work, "plugins")]);
    }
    // AssemblyScript sources are stored as `.as` so Deno's check/lint/fmt skip them; asc wants `.ts`.
    await _renameAsSources(join(work, "plugins"));
    await Deno.writeTextFile(
      join(work, "deno.json"),
      JSON.stringify({
        imports: { assemblyscript: ASSEMBLYSCRIPT, "@extism/extism": EXTISM },
        nodeModulesDir: "none",
      }),
    );
    await Deno.copyFile(join(ROOT, "plugins/sdk/scaffold.lock.json"), join(work, "deno.lock"));
    await Deno.mkdir(OUT, { recursive: true });
    for (const name of EXAMPLES) {
      await sh(work, Deno.execPath(), [
        "run",
        "--frozen",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        `${ASSEMBLYSCRIPT}/asc`,
        `plugins/examples/${name}/index.ts`,
        "--outFile",
        join(OUT, `${name}.wasm`),
        "--use",
        "abort=plugins/sdk/assembly/aetherflow/aetherflowAbort",
        "--optimize",
      ]);
      console.log(`built testdata/plugins/examples/${name}.wasm`);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
