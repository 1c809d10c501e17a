// zod issue -> Issue with the docs/yaml-spec.md codes and messages (pydantic wording kept for parity).
import type { z } from "zod";
import type { Issue } from "../types.ts";
import { ALLOWED_KEYS_MARKER, MODEL_MSG_PREFIX } from "./_fields.ts";
import { extraKeyMessage } from "../suggest.ts";
import { formatLoc, type PathSegment } from "./load_yaml.ts";

/** An issue plus its path, so positions can be attached without re-parsing the loc. */
export interface PathIssue extends Issue {
  path: PathSegment[];
}

/** Map zod issues (in zod's order: model declaration order, unknown keys last per model) to issues. */
export function mapZodIssues(
  issues: readonly z.core.$ZodIssue[],
  options: { extraCode?: string } = {},
): PathIssue[] {
  const out: PathIssue[] = [];
  for (const iss of issues) {
    const path = iss.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (iss.code === "unrecognized_keys") {
      const allowed = _allowedKeys(iss.message);
      for (const key of iss.keys) {
        const keyPath = [...path, key];
        out.push({
          code: options.extraCode ?? "schema:extra_forbidden",
          loc: formatLoc(keyPath),
          msg: extraKeyMessage(key, allowed),
          path: keyPath,
        });
      }
      continue;
    }
    const { code, msg } = _codeAndMessage(iss);
    out.push({ code, loc: formatLoc(path), msg, path });
  }
  return out;
}

function _allowedKeys(message: string): string[] {
  if (!message.startsWith(ALLOWED_KEYS_MARKER)) return [];
  try {
    const keys: unknown = JSON.parse(message.slice(ALLOWED_KEYS_MARKER.length));
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

function _codeAndMessage(iss: z.core.$ZodIssue): { code: string; msg: string } {
  switch (iss.code) {
    case "invalid_type":
      return _typeIssue(iss);
    case "invalid_value":
      return { code: "schema:literal_error", msg: iss.message };
    case "custom": {
      const code = iss.params?.code;
      return { code: typeof code === "string" ? code : "schema:value_error", msg: iss.message };
    }
    default:
      return { code: `schema:${iss.code}`, msg: iss.message };
  }
}

function _typeIssue(iss: z.core.$ZodIssueInvalidType): { code: string; msg: string } {
  // A missing key reaches the field schema as `undefined` (zod omits `input` then).
  if (iss.input === undefined) return { code: "schema:missing", msg: "Field required" };
  switch (iss.expected) {
    case "string":
      return { code: "schema:string_type", msg: "Input should be a valid string" };
    case "array":
      return { code: "schema:list_type", msg: "Input should be a valid list" };
    case "object":
    case "record":
      return iss.message.startsWith(MODEL_MSG_PREFIX)
        ? { code: "schema:model_type", msg: iss.message }
        : { code: "schema:dict_type", msg: "Input should be a valid dictionary" };
    default:
      return { code: `schema:${iss.expected}_type`, msg: iss.message };
  }
}
