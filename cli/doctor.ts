// Placeholder until the `doctor` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerDoctor(_program: Command): void {}
