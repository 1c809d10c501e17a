// `aetherflow state runs|show`: kept as aliases of `runs list` and `runs show` (one way to do each thing;
// docs/cli.md "Run history"). Hidden from the command list.
import type { Command } from "@commander-js/extra-typings";
import { registerRunsList, registerRunsShow } from "./runs.ts";

export function registerState(program: Command): void {
  const state = program.command("state", { hidden: true })
    .description("Aliases: state runs = runs list, state show = runs show");
  registerRunsList(state, "runs");
  registerRunsShow(state, "show");
}
