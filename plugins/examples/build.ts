// Builds the example plugins (AssemblyScript) into testdata/plugins/examples/*.wasm, outside the project's
// dependency graph: AssemblyScript is not a project dependency. Needs only Deno and the npm registry (once:
// the package lands in Deno's cache), with the same pinned versions as a `plugin new` scaffold.
// Run: `deno run -A plugins/examples/build.ts` (the `plugins:build` task, which then builds the demo plugins with
// examples/plugins/build.ts). Exact commands, per example:
//   (the `.as` sources copied to a temp dir as `.ts`, with a scaffold's deno.json and deno.lock)
//   deno run --frozen --allow-read --allow-write --allow-env npm:assemblyscript@0.28.20/asc \
//     plugins/examples/<name>/index.ts --outFile <name>.wasm \
//     --use abort=plugins/sdk/assembly/aetherflow/aetherflowAbort --optimize
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { ASSEMBLYSCRIPT, EXTISM } from "../sdk/scaffold.ts";

export const EXAMPLES = ["csv_select", "rest_get", "b64_secrets"] as const;
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "testdata/plugins/examples");
/** Source folders (relative to the repository) copied for a build; AssemblyScript imports between them. */
const _SOURCES = ["plugins/sdk", "plugins/examples", "examples/plugins"];

/** One module to build: an entry source (relative to the repository, `.as`) and where the .wasm goes. */
export interface AscJob {
  entry: string;
  outFile: string;
}

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

/** Compile each job with asc (optimised, the SDK's abort handler) in a temp copy of the sources. */
export async function buildAssemblyScript(jobs: readonly AscJob[]): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "af-asbuild-" });
  try {
    for (const dir of _SOURCES) {
      await Deno.mkdir(join(work, dirname(dir)), { recursive: true });
      await sh(ROOT, "cp", ["-r", join(ROOT, dir), join(work, dir)]);
    }
    // AssemblyScript sources are stored as `.as` so Deno's check/lint/fmt skip them; asc wants `.ts`.
    await _renameAsSources(work);
    await Deno.writeTextFile(
      join(work, "deno.json"),
      JSON.stringify({
        imports: { assemblyscript: ASSEMBLYSCRIPT, "@extism/extism": EXTISM },
        nodeModulesDir: "none",
      }),
    );
    await Deno.copyFile(join(ROOT, "plugins/sdk/scaffold.lock.json"), join(work, "deno.lock"));
    for (const job of jobs) {
      await Deno.mkdir(dirname(job.outFile), { recursive: true });
      await sh(work, Deno.execPath(), [
        "run",
        "--frozen",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        `${ASSEMBLYSCRIPT}/asc`,
        job.entry.replace(/\.as$/, ".ts"),
        "--outFile",
        job.outFile,
        "--use",
        "abort=plugins/sdk/assembly/aetherflow/aetherflowAbort",
        "--optimize",
      ]);
      console.log(`built ${job.outFile.startsWith(ROOT) ? job.outFile.slice(ROOT.length) : job.outFile}`);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) {
  await buildAssemblyScript(
    EXAMPLES.map((name) => ({
      entry: `plugins/examples/${name}/index.as`,
      outFile: join(OUT, `${name}.wasm`),
    })),
  );
}
