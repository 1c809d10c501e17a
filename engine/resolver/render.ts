/**
 * The one strict template resolver: walk a value and render every string leaf (docs/templating.md) [D7].
 * @module
 */
import { findForbidden } from "./_forbidden.ts";
import { checkRoot, renderInline } from "./_inline.ts";
import { isMap, lookupPath } from "./_lookup.ts";
import { typedDefault } from "./_typed_default.ts";
import { matchStandalone } from "./standalone.ts";
import { TemplateError, templateMissingError, templateSyntaxError } from "./template_error.ts";
import { indexLoc, keyLoc } from "./_loc.ts";

/** The mapping templates are resolved against (`{env, steps, job, run_id, flow_id, result, jobs}`). */
export type TemplateContext = Readonly<Record<string, unknown>>;

/** Options of {@link renderValue} and {@link renderString}. */
export interface RenderOptions {
  /** Allowed roots (see `PHASE_ROOTS`); omitted = any root of the context. */
  roots?: readonly string[];
  /**
   * Where the value sits (`inputs`): a TemplateError raised by {@link renderValue} then carries the failing
   * leaf's `loc` (`inputs.command[2]`), so the caller can say which input broke.
   */
  loc?: string;
  /**
   * Validation hook, called for every token whose path is missing (absent or `""`), before its default applies:
   * return `{ value }` to go on rendering with that stand-in (so every token of a string gets checked), or
   * undefined for the usual rule (the default, else a missing-key error).
   */
  onMissing?: (path: string, hasDefault: boolean) => { value: unknown } | undefined;
}

/**
 * Render one string leaf (docs/templating.md): a whole standalone token keeps the value's type (typed default when
 * missing); anything else renders inline to a string.
 *
 * @throws {TemplateError} `template:syntax` or `template:missing`.
 * @example Usage
 * ```ts
 * import { renderString } from "./render.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(renderString("{{steps.s1.rows}}", { steps: { s1: { rows: [1, 2] } } }), [1, 2]);
 * assert.equal(renderString("{{env.PORT:0}}", { env: {} }), 0);
 * assert.equal(renderString("n={{env.N}}", { env: { N: "3" } }), "n=3");
 * ```
 */
export function renderString(text: string, ctx: TemplateContext, options: RenderOptions = {}): unknown {
  const bad = findForbidden(text);
  if (bad !== undefined) throw templateSyntaxError(`forbidden ${JSON.stringify(bad)}`);
  if (!text.includes("{{") && !text.includes("}}")) return text;
  const token = matchStandalone(text);
  if (token === undefined) return renderInline(text, ctx, options);
  checkRoot(token.path, options.roots);
  const hit = lookupPath(ctx, token.path);
  // Standalone results are returned by reference and never re-checked (docs/templating.md).
  if (hit.found && hit.value !== "") return hit.value;
  const standIn = options.onMissing?.(token.path, token.defaultText !== undefined);
  if (standIn !== undefined) return standIn.value;
  if (token.defaultText !== undefined) return typedDefault(token.defaultText);
  throw templateMissingError(token.path);
}

/**
 * Walk maps and lists and render every string leaf; other scalars pass through. Returns new containers,
 * never mutates `value` (docs/templating.md).
 *
 * @throws {TemplateError} the first error in walk order.
 * @example Usage
 * ```ts
 * import { renderValue } from "./render.ts";
 * import assert from "node:assert/strict";
 * const ctx = { env: { A: "1" }, run_id: "R" };
 * assert.deepEqual(renderValue({ a: ["{{env.A}}", "id={{run_id}}", 2] }, ctx), { a: ["1", "id=R", 2] });
 * ```
 */
export function renderValue(value: unknown, ctx: TemplateContext, options: RenderOptions = {}): unknown {
  return _renderAt(value, ctx, options, options.loc);
}

function _renderAt(value: unknown, ctx: TemplateContext, options: RenderOptions, loc?: string): unknown {
  if (typeof value === "string") {
    if (loc === undefined) return renderString(value, ctx, options);
    try {
      return renderString(value, ctx, options);
    } catch (err) {
      throw err instanceof TemplateError && err.loc === undefined ? err.at(loc) : err;
    }
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => _renderAt(item, ctx, options, loc === undefined ? loc : indexLoc(loc, i)));
  }
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = _renderAt(item, ctx, options, loc === undefined ? loc : keyLoc(loc, key));
    }
    return out;
  }
  return value;
}
