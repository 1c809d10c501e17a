// Placeholder until the `state` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerState(_program: Command): void {}
