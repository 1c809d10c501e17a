/** Typed defaults of standalone tokens (docs/templating.md) [D7]. */
import { parse } from "yaml";
import { YAML11_OPTIONS } from "../yaml11.ts";
import { isMap } from "./_lookup.ts";

/**
 * Parse a standalone DEFAULT with YAML 1.1 scalar rules (the same rules as flow files, docs/yaml-spec.md):
 * `"0"` -> 0, `"true"` -> true, `"[]"` -> [], `"'0'"` -> "0". A mapping, a parse failure, or a value
 * that is not JSON (YAML 1.1 dates, `!!binary`) gives the trimmed text, because step inputs must stay
 * JSON. Upstream returned the default verbatim as text.
 */
export function typedDefault(raw: string): unknown {
  const text = raw.trim();
  if (text === "") return "";
  let value: unknown;
  try {
    // logLevel "error": parse errors still throw, warnings are not printed (modules stay silent).
    value = parse(text, { ...YAML11_OPTIONS, logLevel: "error" });
  } catch {
    return text;
  }
  if (isMap(value) || !_isJson(value)) return text;
  return value;
}

function _isJson(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      if (Array.isArray(value)) return value.every(_isJson);
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      return Object.values(value as Record<string, unknown>).every(_isJson);
    default:
      return false;
  }
}
