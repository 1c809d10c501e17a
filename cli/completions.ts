// `aetherflow completions bash|zsh|fish` (docs/install.md "Shell completion"): scripts generated from the
// command tree itself.
import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { CompletionNode } from "./_completion_scripts.ts";

const _SHELLS = ["bash", "zsh", "fish"] as const;

export function registerCompletions(program: Command): void {
  program.command("completions")
    .description("Print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish", _parseShell)
    .addHelpText(
      "after",
      `
Examples:
  source <(aetherflow completions bash)                                   # ~/.bashrc
  aetherflow completions zsh > "\${fpath[1]}/_aetherflow"                  # then: compinit
  aetherflow completions fish > ~/.config/fish/completions/aetherflow.fish`,
    )
    .action(async (shell) => {
      const [{ buildProgram }, scripts] = await Promise.all([
        import("./main.ts"),
        import("./_completion_scripts.ts"),
      ]);
      const tree = commandTree(await buildProgram() as unknown as Command);
      const text = shell === "bash"
        ? scripts.bashCompletion(tree)
        : shell === "zsh"
        ? scripts.zshCompletion(tree)
        : scripts.fishCompletion(tree);
      await Deno.stdout.write(new TextEncoder().encode(text));
    });
}

function _parseShell(value: string): (typeof _SHELLS)[number] {
  const v = value.trim().toLowerCase();
  if (!(_SHELLS as readonly string[]).includes(v)) {
    throw new InvalidArgumentError("must be bash, zsh or fish");
  }
  return v as (typeof _SHELLS)[number];
}

/** The visible command tree of `program` (hidden aliases left out). */
export function commandTree(program: Command, path: string[] = []): CompletionNode {
  const cmd = program as unknown as {
    commands: Command[];
    options: { long?: string; description: string; required: boolean; optional: boolean; hidden?: boolean }[];
    description(): string;
    name(): string;
    _hidden?: boolean;
  };
  return {
    path,
    description: cmd.description(),
    options: cmd.options.filter((o) => o.long !== undefined && !o.hidden).map((o) => ({
      flag: o.long!,
      description: o.description,
      takesValue: o.required || o.optional,
    })),
    children: cmd.commands
      .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
      .map((c) => commandTree(c, [...path, c.name()])),
  };
}
