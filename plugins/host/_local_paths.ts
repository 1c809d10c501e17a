// Connector arguments that are local file paths (docs/plugin-abi.md "af_connector_call"): keys `local`,
// `local_path`, `local_file`, `local_dir` or ending in `_local_path`, at any depth of the arguments.
import type { JsonObject, JsonValue } from "../../engine/types.ts";

const _PATH_KEY_REGEXP = /^(local|local_path|local_file|local_dir)$|_local_path$/;

/**
 * A copy of `args` with every local-path value replaced by `map(value)`. A path key holding anything but a
 * string, or a value `map` refuses (null), makes the whole call refused: returns the first such key.
 */
export function rewriteLocalPaths(
  args: JsonObject,
  map: (path: string) => string | null,
): { args: JsonObject } | { refused: string } {
  const refused: string[] = [];
  const walk = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== "object" || value === null) return value;
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      if (!_PATH_KEY_REGEXP.test(key)) out[key] = walk(v);
      else {
        const mapped = typeof v === "string" ? map(v) : null;
        if (mapped === null) refused.push(key);
        out[key] = mapped;
      }
    }
    return out;
  };
  const out = walk(args) as JsonObject;
  return refused.length > 0 ? { refused: refused[0]! } : { args: out };
}
