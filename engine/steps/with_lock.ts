// `with_lock`: run one embedded step under a TTL lock from the state store (builtins.md §1.11, D15).
import { errorMessage, StepError } from "../errors.ts";
import type { JsonObject } from "../types.ts";
import type { StepDefinition, StepResult } from "./types.ts";
import { unknownInputIssues } from "./_suggest.ts";
import { INPUT_ERROR, inputLabel, isPlainMap, toInt, toNumber } from "./_coerce.ts";

const _TYPE = "with_lock";
const _INPUTS = ["lock_key", "step", "ttl_seconds", "wait_seconds"] as const;
const _STEP_KEYS = ["type", "id", "inputs"] as const;
const _DEFAULT_TTL = 600;

/** The embedded step as written, for validating it like a top-level step [ours]; null when not a map. */
export function innerStepOf(raw: Record<string, unknown>): { type: unknown; inputs: unknown } | null {
  const step = raw.step;
  if (!isPlainMap(step)) return null;
  return { type: step.type, inputs: step.inputs };
}

function _invalid(msg: string): StepError {
  return new StepError(msg, INPUT_ERROR);
}

/** A non-negative integer or number input (builtins.md §0.2 typing, then a range check). */
function _nonNegative(n: number, name: string): number {
  if (n < 0) throw _invalid(`${inputLabel(_TYPE, name)} must not be negative`);
  return n;
}

export interface WithLockPlan {
  key: string;
  ttlSeconds: number;
  waitSeconds: number;
  inner: { id: string; type: string; inputs: JsonObject };
}

/** Check the rendered inputs and build what `run` does (pure, tested alone). */
export function planWithLock(inputs: Record<string, unknown>, stepId: string): WithLockPlan {
  const missing = ["lock_key", "step"].filter((k) => !(k in inputs));
  if (missing.length > 0) {
    throw new StepError(`Step ${stepId} missing inputs: ${JSON.stringify(missing)}`, {
      code: "step:missing_inputs",
    });
  }
  const unknown = [...unknownInputIssues(inputs, _INPUTS)];
  const step = inputs.step;
  if (isPlainMap(step)) unknown.push(...unknownInputIssues(step, _STEP_KEYS, "step."));
  if (unknown[0]) throw new StepError(`Unknown input ${unknown[0].loc}`, { code: "semantic:unknown_input" });
  const key = inputs.lock_key;
  if ((typeof key !== "string" && typeof key !== "number") || String(key) === "") {
    throw _invalid(`${_TYPE} inputs.lock_key must be a non-empty string`);
  }
  if (!isPlainMap(step)) throw _invalid(`${_TYPE} inputs.step must be a map`);
  if (typeof step.type !== "string" || step.type === "") {
    throw new StepError(`Step ${stepId} missing inputs: ["step.type"]`, { code: "step:missing_inputs" });
  }
  const id = step.id ?? `${stepId}_inner`;
  if (typeof id !== "string" || id === "") {
    throw _invalid(`${_TYPE} inputs.step.id must be a non-empty string`);
  }
  const innerInputs = step.inputs ?? {};
  if (!isPlainMap(innerInputs)) throw _invalid(`${_TYPE} inputs.step.inputs must be a map`);
  return {
    key: String(key),
    ttlSeconds: _nonNegative(
      toInt(inputs.ttl_seconds, inputLabel(_TYPE, "ttl_seconds"), _DEFAULT_TTL),
      "ttl_seconds",
    ),
    waitSeconds: _nonNegative(
      toNumber(inputs.wait_seconds, inputLabel(_TYPE, "wait_seconds"), 0),
      "wait_seconds",
    ),
    // Rendered inputs are JSON values (core.md §5.4).
    inner: { id, type: step.type, inputs: innerInputs as JsonObject },
  };
}

export const withLockStep: StepDefinition = {
  type: _TYPE,
  origin: "builtin",
  validate(raw) {
    const issues = unknownInputIssues(raw, _INPUTS);
    if (isPlainMap(raw.step)) issues.push(...unknownInputIssues(raw.step, _STEP_KEYS, "step."));
    return issues;
  },
  async run(inputs, ctx): Promise<StepResult> {
    const plan = planWithLock(inputs, ctx.stepId);
    // D15: fail fast on a held lock unless wait_seconds asks to wait.
    const got = await ctx.locks.acquire(plan.key, {
      ttlSeconds: plan.ttlSeconds,
      waitSeconds: plan.waitSeconds,
    });
    if (!got) throw new StepError(`Lock not acquired: ${plan.key}`, { code: "step:lock_not_acquired" });
    try {
      // The outer status is the inner status [verified upstream]; the inner step gets no state row.
      return await ctx.runNested(plan.inner);
    } finally {
      // Released on every exit path the process survives; a failed release must not hide the step's outcome
      // (the lease still expires after ttl_seconds).
      try {
        ctx.locks.release(plan.key);
      } catch (err) {
        ctx.log.warn(`Lock release failed lock_key=${plan.key}: ${errorMessage(err)}`);
      }
    }
  },
};
