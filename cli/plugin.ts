// Placeholder until the `plugin` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerPlugin(_program: Command): void {}
