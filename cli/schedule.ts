// Placeholder until the `schedule` command lands; replaced by its owner.
import type { Command } from "@commander-js/extra-typings";

export function registerSchedule(_program: Command): void {}
