/**
 * The step registry: an explicit record of built-ins plus whatever plugins register (docs/plugins.md).
 * @module
 */
import { AetherflowError, EXIT } from "../errors.ts";
import type { AnyStepDefinition } from "./types.ts";
import { BUILTIN_STEPS } from "./builtins.ts";

export class StepRegistry {
  readonly #defs = new Map<string, AnyStepDefinition>();

  /** A registry holding the built-in steps. */
  static withBuiltins(): StepRegistry {
    const reg = new StepRegistry();
    for (const def of BUILTIN_STEPS) reg.register(def);
    return reg;
  }

  /** Register a step type; a duplicate type is an error naming the first origin [ours]. */
  register(def: AnyStepDefinition): void {
    const prev = this.#defs.get(def.type);
    if (prev) {
      throw new AetherflowError(`Step type ${def.type} already registered by ${prev.origin}`, {
        code: "plugin:duplicate_step",
        exitCode: EXIT.INVALID,
      });
    }
    this.#defs.set(def.type, def);
  }

  get(type: string): AnyStepDefinition | undefined {
    return this.#defs.get(type);
  }

  has(type: string): boolean {
    return this.#defs.has(type);
  }

  /** Every registered type, sorted (used in `Unknown step type` messages). */
  types(): string[] {
    return [...this.#defs.keys()].sort();
  }
}
