// Placeholder until the `schema` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerSchema(_program: Command): void {}
