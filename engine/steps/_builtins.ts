// The explicit list of built-in steps (no side-effect registration). Each lives in its own file.
import type { StepDefinition } from "./types.ts";
import { checkItemsStep } from "./check_items.ts";
import { externalProcess } from "./external_process.ts";
import { withLockStep } from "./with_lock.ts";

export const BUILTIN_STEPS: readonly StepDefinition[] = [
  checkItemsStep,
  externalProcess,
  withLockStep,
];
