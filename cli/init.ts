// `aetherflow init [dir]` (docs/cli.md "init"): scaffold a project that validates and runs at once; the
// plugin side is `plugin new`.
import type { Command } from "@commander-js/extra-typings";
import { join, relative, resolve } from "node:path";
import { UsageError } from "../engine/errors.ts";
import { printJson } from "./_json.ts";
import { INIT_FILES } from "./_init_files.ts";

export function registerInit(program: Command): void {
  program.command("init")
    .description(
      "Create a starter project: flow, profiles, env example, scheduler file, plugin lock, .gitignore",
    )
    .argument("[dir]", "where to create it (default: the current directory)", ".")
    .option("--force", "overwrite files that already exist")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Nothing is overwritten without --force (exit 2 naming the file). For a WASM plugin: aetherflow plugin new <name>.

Examples:
  aetherflow init etl && cd etl && aetherflow run flow.yaml
  aetherflow init . --force`,
    )
    .action(async (dirArg, opts) => {
      const dir = resolve(dirArg);
      try {
        const st = await Deno.stat(dir);
        if (!st.isDirectory) {
          throw new UsageError(`Target exists and is not a folder: ${dir}`, { loc: "DIR" });
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      const names = Object.keys(INIT_FILES);
      if (!opts.force) {
        for (const name of names) {
          const path = join(dir, name);
          if (await _exists(path)) {
            throw new UsageError(`File exists: ${path} (use --force to overwrite)`, {
              code: "usage:exists",
              loc: path,
            });
          }
        }
      }
      await Deno.mkdir(dir, { recursive: true });
      for (const name of names) await Deno.writeTextFile(join(dir, name), INIT_FILES[name]!);
      const shown = relative(Deno.cwd(), dir) || ".";
      const next = [
        `cd ${shown}`,
        "cp .env.example .env",
        "aetherflow validate flow.yaml",
        "aetherflow run flow.yaml --env-file .env",
        "aetherflow runs list flow.yaml",
        "aetherflow plugin new my_step   # a WASM step plugin (docs/plugins.md)",
      ];
      if (opts.json) return printJson({ dir, files: names.map((n) => join(dir, n)), next });
      for (const name of names) console.log(`created ${join(shown, name)}`);
      console.log("next:");
      for (const line of next) console.log(`  ${line}`);
    });
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
