// A small registry for flow validation tests, independent of the evolving built-ins: `t_any` takes any inputs,
// `t_strict` accepts only `a` and `items`, `with_lock` mimics the built-in's key check and its nested step.
import { StepRegistry } from "../steps/registry.ts";
import type { Issue } from "../types.ts";
import { extraKeyMessage } from "../suggest.ts";

function _strict(allowed: readonly string[]): (raw: Record<string, unknown>) => Issue[] {
  return (raw) =>
    Object.keys(raw).filter((k) => !allowed.includes(k)).map((k) => ({
      code: "semantic:unknown_input",
      loc: k,
      msg: extraKeyMessage(k, allowed),
    }));
}

export function testRegistry(): StepRegistry {
  const reg = new StepRegistry();
  const run = () => ({ status: "SUCCESS" });
  reg.register({ type: "t_any", origin: "test", run });
  reg.register({ type: "t_strict", origin: "test", validate: _strict(["a", "items"]), run });
  reg.register({
    type: "with_lock",
    origin: "test",
    validate: _strict(["lock_key", "step", "ttl_seconds", "wait_seconds"]),
    nested: (raw) => {
      const step = raw.step;
      if (typeof step !== "object" || step === null || Array.isArray(step)) return [];
      const inner = step as Record<string, unknown>;
      return [{ loc: "step", type: inner.type, inputs: inner.inputs ?? {} }];
    },
    run,
  });
  return reg;
}
