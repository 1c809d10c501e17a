// Placeholder until the `explain` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerExplain(_program: Command): void {}
