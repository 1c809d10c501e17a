/**
 * Running a field schema (engine/inputs/fields.ts) and turning zod issues into field problems: missing, unknown
 * or invalid, each with its path. Validate time checks raw values and skips every path that holds a template;
 * run time parses rendered values into typed ones.
 * @module
 */
import type { z } from "zod";
import { extraKeyMessage, suggestKey } from "../suggest.ts";
import { isTemplated } from "./coerce.ts";
import { isMap } from "../types.ts";
import { ALLOWED_KEYS_MARK, type FieldIssueParams } from "./fields.ts";

export type FieldPath = readonly (string | number)[];

/** One problem with one field. */
export interface FieldProblem {
  kind: "missing" | "unknown" | "invalid";
  path: FieldPath;
  /** `is required`, `Extra inputs are not permitted (did you mean 'x'?)`, `must be an integer`, … */
  message: string;
  /** The message is a whole sentence naming the field itself (do not prefix it with a label). */
  verbatim?: boolean;
  /** A specific validate-time code chosen by the field. */
  code?: string;
  /** For an unknown key: the allowed key it most likely meant. */
  suggestion?: string;
}

/** `a.b[0].c` */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

/** The value at `path` inside `root` (undefined when any step is missing). */
export function valueAt(root: unknown, path: FieldPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === "number") cur = Array.isArray(cur) ? cur[seg] : undefined;
    else cur = isMap(cur) && Object.hasOwn(cur, seg) ? cur[seg] : undefined;
  }
  return cur;
}

/** Whether `path` or any of its ancestors holds a template in `root` (then its type is unknown until run). */
export function underTemplate(root: unknown, path: FieldPath): boolean {
  let cur = root;
  if (isTemplated(cur)) return true;
  for (const seg of path) {
    cur = valueAt(cur, [seg]);
    if (isTemplated(cur)) return true;
  }
  return false;
}

function _allowed(message: string): string[] {
  if (!message.startsWith(ALLOWED_KEYS_MARK)) return [];
  try {
    const keys: unknown = JSON.parse(message.slice(ALLOWED_KEYS_MARK.length));
    return Array.isArray(keys) ? keys.map(String) : [];
  } catch {
    return [];
  }
}

/** Field problems of a failed parse of `input`, in schema order. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], input: unknown): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const allowed = _allowed(issue.message);
      for (const key of issue.keys) {
        out.push({
          kind: "unknown",
          path: [...path, key],
          message: extraKeyMessage(key, allowed),
          suggestion: suggestKey(key, allowed),
        });
      }
      continue;
    }
    const params = (issue as { params?: Partial<FieldIssueParams> }).params;
    if (params?.af === "missing") {
      out.push({ kind: "missing", path, message: "is required" });
      continue;
    }
    if (params?.af === "invalid") {
      out.push({
        kind: "invalid",
        path,
        message: issue.message,
        verbatim: params.verbatim,
        code: params.code,
      });
      continue;
    }
    // A plain zod schema used by a step: an absent key is "missing", the rest keeps zod's wording.
    if (valueAt(input, path) === undefined && isMap(valueAt(input, path.slice(0, -1)))) {
      out.push({ kind: "missing", path, message: "is required" });
    } else {
      const expected = issue.code === "invalid_type" ? `must be ${issue.expected}` : issue.message;
      out.push({ kind: "invalid", path, message: expected });
    }
  }
  return out;
}

/**
 * Validate-time check of raw values: every problem, except those at or under a templated value.
 * @example Usage
 * ```ts
 * import { checkRaw, fields } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const schema = fields.fixedMap({ n: fields.int(), m: fields.int() });
 * const found = checkRaw(schema, { n: "{{env.N}}", m: "x", k: 1 });
 * assert.deepEqual(found.map((p) => [p.kind, p.path.join(".")]), [["invalid", "m"], ["unknown", "k"]]);
 * ```
 */
export function checkRaw(schema: z.ZodType, raw: unknown): FieldProblem[] {
  const result = schema.safeParse(raw);
  if (result.success) return [];
  const found = problemsOf(result.error.issues, raw).filter((p) =>
    p.kind === "unknown" ? !underTemplate(raw, p.path.slice(0, -1)) : !underTemplate(raw, p.path)
  );
  // A typo (`lock_kye`) is one mistake: its "did you mean 'lock_key'" says it all, so the then missing
  // `lock_key` is not reported again.
  const meant = new Set(
    found.filter((p) => p.suggestion !== undefined).map((p) =>
      formatPath([...p.path.slice(0, -1), p.suggestion!])
    ),
  );
  return found.filter((p) => p.kind !== "missing" || !meant.has(formatPath(p.path)));
}

/** Run-time parse of rendered values. */
export function parseFields<T>(
  schema: z.ZodType<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; problems: FieldProblem[] } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: problemsOf(result.error.issues, value) };
}
