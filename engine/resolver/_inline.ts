/** Inline (string) rendering, docs/templating.md [D7]. */
import { findForbidden } from "./_forbidden.ts";
import { lookupPath, pathRoot } from "./_lookup.ts";
import { templateMissingError, templateSyntaxError } from "./template_error.ts";
import { valueToText } from "./value_text.ts";

// Unicode letters/digits in the inline renderer (upstream used str.isalpha / str.isalnum).
const _IDENT_REGEXP = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** True for `IDENT(.IDENT)*` with Unicode identifiers. */
function _isValidPath(path: string): boolean {
  return path.split(".").every((part) => _IDENT_REGEXP.test(part));
}

/** Throws a syntax error when the phase does not allow the path's root (docs/templating.md). */
export function checkRoot(path: string, roots: readonly string[] | undefined): void {
  if (roots === undefined) return;
  const root = pathRoot(path);
  if (!roots.includes(root)) {
    throw templateSyntaxError(`root '${root}' is not allowed here; allowed: ${JSON.stringify(roots)}`);
  }
}

/** What inline rendering needs of the render options. */
export interface InlineOptions {
  roots?: readonly string[];
  onMissing?: (path: string, hasDefault: boolean) => { value: unknown } | undefined;
}

/** Render every `{{…}}` of `text` as text; throws the first TemplateError. */
export function renderInline(text: string, ctx: unknown, options: InlineOptions = {}): string {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("{{", i);
    if (start === -1) {
      out.push(text.slice(i));
      break;
    }
    const premature = text.indexOf("}}", i);
    if (premature !== -1 && premature < start) {
      throw templateSyntaxError(`'}}' before '{{' at offset ${premature}`);
    }
    out.push(text.slice(i, start));
    const end = text.indexOf("}}", start + 2);
    if (end === -1) throw templateSyntaxError(`'{{' at offset ${start} is never closed`);
    const token = text.slice(start + 2, end).trim();
    if (token === "" || token.includes("{") || token.includes("}")) {
      throw templateSyntaxError(`empty token or nested braces at offset ${start}`);
    }
    const colon = token.indexOf(":");
    // Inline defaults are never typed and keep their spacing after ':' [D7].
    const path = colon === -1 ? token : token.slice(0, colon).trim();
    const defaultText = colon === -1 ? undefined : token.slice(colon + 1);
    if (!_isValidPath(path)) throw templateSyntaxError(`invalid path ${JSON.stringify(path)}`);
    checkRoot(path, options.roots);
    const hit = lookupPath(ctx, path);
    const standIn = hit.found && hit.value !== ""
      ? undefined
      : options.onMissing?.(path, defaultText !== undefined);
    if (hit.found && hit.value !== "") out.push(valueToText(hit.value));
    else if (standIn !== undefined) out.push(valueToText(standIn.value));
    else if (defaultText !== undefined) out.push(defaultText);
    else throw templateMissingError(path);
    i = end + 2;
  }
  const rendered = out.join("");
  // A substituted value may introduce forbidden syntax (`${`, an empty map `{}`): parity with upstream.
  const bad = findForbidden(rendered);
  if (bad !== undefined) throw templateSyntaxError(`rendered text contains forbidden ${JSON.stringify(bad)}`);
  return rendered;
}
