// The explicit list of built-in steps (no side-effect registration). Each lives in its own file
// (engine/steps/<type>.ts) or family folder (engine/steps/<family>/<type>.ts).
import type { AnyStepDefinition } from "./types.ts";
import { checkItemsStep } from "./check_items.ts";
import { externalProcess } from "./external_process.ts";
import { withLockStep } from "./with_lock.ts";

export const BUILTIN_STEPS: readonly AnyStepDefinition[] = [
  checkItemsStep,
  externalProcess,
  withLockStep,
];
