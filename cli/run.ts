// Placeholder until the `run` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerRun(_program: Command): void {}
