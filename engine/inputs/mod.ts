/**
 * Typed inputs of steps and typed configs of connectors: D17 coercions, zod field helpers and the checks that run
 * on raw values at validate time and on rendered values at run time (docs/steps.md "Input typing").
 * @module
 */
export * as fields from "./fields.ts";
export { fail, field } from "./fields.ts";
export type { FieldIssueParams, FieldOptions } from "./fields.ts";
export { checkRaw, formatPath, parseFields, problemsOf, underTemplate, valueAt } from "./check.ts";
export type { FieldPath, FieldProblem } from "./check.ts";
export { asBool, asInt, asNumber, isTemplated, parseJsonish, toList, toText } from "./coerce.ts";
export { isMap } from "../types.ts";
