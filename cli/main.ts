// aetherflow CLI entry point: argv -> command. The only code that prints or exits.
import { Command, CommanderError } from "@commander-js/extra-typings";
import denoJson from "../deno.json" with { type: "json" };
import { EXIT } from "../engine/errors.ts";
import { exitCode, reportError } from "./_exit.ts";
import { printJson, printJsonError, wantsJson } from "./_json.ts";

export const VERSION: string = denoJson.version;

type _Register = (program: Command) => void;

// Each command's module is imported only when needed: `aetherflow validate` loads neither the runner nor the
// plugin host (start-up time). In help order.
const _COMMANDS: Readonly<Record<string, () => Promise<_Register>>> = {
  init: async () => (await import("./init.ts")).registerInit,
  validate: async () => (await import("./validate.ts")).registerValidate,
  schema: async () => (await import("./schema.ts")).registerSchema,
  run: async () => (await import("./run.ts")).registerRun,
  doctor: async () => (await import("./doctor.ts")).registerDoctor,
  explain: async () => (await import("./explain.ts")).registerExplain,
  graph: async () => (await import("./graph.ts")).registerGraph,
  runs: async () => (await import("./runs.ts")).registerRuns,
  locks: async () => (await import("./locks.ts")).registerLocks,
  state: async () => (await import("./state.ts")).registerState,
  plugin: async () => (await import("./plugin.ts")).registerPlugin,
  bundle: async () => (await import("./bundle.ts")).registerBundle,
  schedule: async () => (await import("./schedule.ts")).registerSchedule,
  settings: async () => (await import("./settings.ts")).registerSettings,
  completions: async () => (await import("./completions.ts")).registerCompletions,
};

/**
 * Build the program; exported for tests that drive the CLI in-process. With `only` (the first argument) naming
 * a command, only that command is registered; anything else gets every command.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const load = only !== undefined && Object.hasOwn(_COMMANDS, only) ? _COMMANDS[only] : undefined;
  if (load) {
    const program = _newProgram([await load()]);
    if (program.commands.some((c) => c.name() === only)) return program;
  }
  return _newProgram(await Promise.all(Object.values(_COMMANDS).map((loadOne) => loadOne())));
}

function _newProgram(registers: readonly _Register[]): Command {
  const program = new Command()
    .name("aetherflow")
    .description("YAML-first, ops-grade workflow engine for ETL and automation")
    .version(VERSION, "-V, --version")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)) });
  for (const register of registers) register(program);
  // Subcommands inherit exitOverride/output so usage errors exit 2, not commander's 1.
  for (const cmd of program.commands) _propagate(cmd as unknown as Command);
  return program;
}

function _propagate(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError();
  for (const sub of cmd.commands) _propagate(sub as unknown as Command);
}

// `validate` exits 0 (ok) or 2 (failed) only, whatever failed (D2). (`doctor --connect` exits 1 when a probe
// fails: docs/cli.md.)
const _CHECK_COMMANDS = new Set(["validate"]);

export async function main(argv: string[]): Promise<number> {
  const code = await _main(argv);
  const command = argv.find((a) => !a.startsWith("-"));
  return code !== EXIT.OK && command !== undefined && _CHECK_COMMANDS.has(command) ? EXIT.INVALID : code;
}

async function _main(argv: string[]): Promise<number> {
  const debug = (Deno.env.get("AETHERFLOW_DEBUG") ?? "") !== "" || argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  // `deno task aetherflow -- --version` (the npm habit) hands the `--` on verbatim; nothing follows the program
  // name that a leading `--` could protect, so it is dropped.
  if (args[0] === "--") args.shift();
  const json = wantsJson(args);
  const program = await buildProgram(args[0]);
  if (args.length === 0) {
    // No command is a usage error like any other: usage on stderr, exit 2 (commander would exit 0 silently).
    Deno.stderr.writeSync(new TextEncoder().encode(program.helpInformation()));
    return EXIT.INVALID;
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
        err.code === "commander.help"
      ) return EXIT.OK;
      // Under --json a usage error is JSON too (the usage text stays on stderr for a person).
      if (json) {
        printJson(
          { errors: [{ code: "usage", loc: "<argv>", msg: err.message.replace(/^error: /, "") }] },
          false,
        );
      }
      return EXIT.INVALID;
    }
    const code = reportError(err, debug);
    if (json) printJsonError(err);
    return code;
  }
  return exitCode();
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
