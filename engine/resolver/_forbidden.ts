/** Forbidden legacy syntax (docs/templating.md) [D7]: checked on the raw leaf and again on inline results. */

// Literal substrings, as upstream: `${` (shell/legacy), Jinja `{% %}` / `{# #}`, and `{}` (empty braces).
const _FORBIDDEN = ["${", "{%", "%}", "{#", "#}", "{}"] as const;

/** The first forbidden pattern found in `text`, or undefined. */
export function findForbidden(text: string): string | undefined {
  return _FORBIDDEN.find((needle) => text.includes(needle));
}
