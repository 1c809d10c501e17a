// The explicit list of built-in steps (no side-effect registration). Each lives in its own file.
import type { StepDefinition } from "./types.ts";

export const BUILTIN_STEPS: readonly StepDefinition[] = [];
