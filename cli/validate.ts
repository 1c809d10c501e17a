// Placeholder until the `validate` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerValidate(_program: Command): void {}
