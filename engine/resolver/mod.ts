/**
 * The one strict template resolver (docs/templating.md) [D7]: `{{PATH}}` and `{{PATH:DEFAULT}}` only.
 * @module
 */
export { DECODE_ERR, STRICT_ERR, TemplateError } from "./template_error.ts";
export type { TemplateErrorKind } from "./template_error.ts";
export { PHASE_ROOTS } from "./phase_roots.ts";
export type { TemplatePhase } from "./phase_roots.ts";
export { renderString, renderValue } from "./render.ts";
export type { RenderOptions, TemplateContext } from "./render.ts";
export { isStandaloneToken } from "./standalone.ts";
export { valueToText } from "./value_text.ts";
export { templateEnvKeys, templateRoots } from "./template_roots.ts";
export { stringLeaves } from "./string_leaves.ts";
export type { StringLeaf } from "./string_leaves.ts";
