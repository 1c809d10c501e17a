// aetherflow CLI entry point: argv -> command. The only code that prints or exits.
import { Command, CommanderError } from "@commander-js/extra-typings";
import denoJson from "../deno.json" with { type: "json" };
import { EXIT } from "../engine/errors.ts";
import { exitCode, reportError } from "./_exit.ts";
import { registerValidate } from "./validate.ts";
import { registerSchema } from "./schema.ts";
import { registerRun } from "./run.ts";
import { registerDoctor } from "./doctor.ts";
import { registerExplain } from "./explain.ts";
import { registerState } from "./state.ts";
import { registerPlugin } from "./plugin.ts";
import { registerSchedule } from "./schedule.ts";
import { registerSettings } from "./settings.ts";

export const VERSION: string = denoJson.version;

/** Build the program; exported for tests that drive the CLI in-process. */
export function buildProgram(): Command {
  const program = new Command()
    .name("aetherflow")
    .description("YAML-first, ops-grade workflow engine for ETL and automation")
    .version(VERSION, "-V, --version")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)) });
  registerValidate(program);
  registerSchema(program);
  registerRun(program);
  registerDoctor(program);
  registerExplain(program);
  registerState(program);
  registerPlugin(program);
  registerSchedule(program);
  registerSettings(program);
  // Subcommands inherit exitOverride/output so usage errors exit 2, not commander's 1.
  for (const cmd of program.commands) _propagate(cmd as unknown as Command);
  return program;
}

function _propagate(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError();
  for (const sub of cmd.commands) _propagate(sub as unknown as Command);
}

export async function main(argv: string[]): Promise<number> {
  const debug = (Deno.env.get("AETHERFLOW_DEBUG") ?? "") !== "" || argv.includes("--debug");
  const program = buildProgram();
  try {
    await program.parseAsync(argv.filter((a) => a !== "--debug"), { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
        err.code === "commander.help"
      ) return EXIT.OK;
      return EXIT.INVALID;
    }
    return reportError(err, debug);
  }
  return exitCode();
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
