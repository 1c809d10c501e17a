// `with_lock`: run one embedded step under a TTL lock from the state store (docs/steps.md, D15).
import { errorMessage, StepError } from "../errors.ts";
import { fields, isMap } from "../inputs/mod.ts";
import type { JsonObject } from "../types.ts";
import { defineStep, type StepResult } from "./types.ts";

const _DEFAULT_TTL = 600;

/** The embedded step as written, for validating it like a top-level step [ours]; null when not a map. */
export function innerStepOf(raw: Record<string, unknown>): { type: unknown; inputs: unknown } | null {
  const step = raw.step;
  if (!isMap(step)) return null;
  return { type: step.type, inputs: step.inputs };
}

export const withLockStep = defineStep({
  type: "with_lock",
  origin: "builtin",
  inputs: fields.fixedMap({
    lock_key: fields.text({ scalars: true, nonEmpty: true }),
    step: fields.map({
      type: fields.text({ nonEmpty: true }),
      id: fields.text({ nonEmpty: true, default: null }),
      // Rendered inputs are JSON values.
      inputs: fields.record(),
    }, { required: true }),
    ttl_seconds: fields.int({ default: _DEFAULT_TTL, min: 0 }),
    wait_seconds: fields.number({ default: 0, min: 0 }),
  }),
  nested(raw) {
    const inner = innerStepOf(raw);
    return inner === null ? [] : [{ loc: "step", type: inner.type, inputs: inner.inputs ?? {} }];
  },
  async run(input, ctx): Promise<StepResult> {
    const key = input.lock_key;
    // D15: fail fast on a held lock unless wait_seconds asks to wait.
    const got = await ctx.locks.acquire(key, {
      ttlSeconds: input.ttl_seconds,
      waitSeconds: input.wait_seconds,
    });
    if (!got) throw new StepError(`Lock not acquired: ${key}`, { code: "step:lock_not_acquired" });
    try {
      // The outer status is the inner status [verified upstream]; the inner step gets no state row.
      const inner = input.step;
      return await ctx.runNested({
        id: inner.id ?? `${ctx.stepId}_inner`,
        type: inner.type,
        inputs: inner.inputs as JsonObject,
      });
    } finally {
      // Released on every exit path the process survives; a failed release must not hide the step's outcome
      // (the lease still expires after ttl_seconds).
      try {
        await ctx.locks.release(key);
      } catch (err) {
        ctx.log.warn(`Lock release failed lock_key=${key}: ${errorMessage(err)}`);
      }
    }
  },
});
