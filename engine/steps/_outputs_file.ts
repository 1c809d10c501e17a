// The outputs file of external.process (docs/steps.md "Outputs file"): the child writes `key=value` lines, JSON
// objects, or `key<<DELIM` blocks to $AETHERFLOW_OUTPUTS; after a successful attempt they become
// `result.outputs.<key>`, each value read as JSON where it parses (so `n=3` is the number 3), else as text.
import { StepError } from "../errors.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/** Larger files are refused: outputs are persisted in state and rendered into templates. */
export const OUTPUTS_FILE_MAX_BYTES = 1024 * 1024;

// Keys must be usable in a template path (`{{result.outputs.<key>}}`).
const _KEY_REGEXP = /^[A-Za-z_][A-Za-z0-9_]*$/;
const _HEREDOC_REGEXP = /^([^=<\s]+)<<(\S+)$/;

function _value(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function _bad(line: number, why: string): StepError {
  // The line itself is not quoted: outputs may carry secrets, and the message reaches logs and state.
  return new StepError(`external.process outputs file ($AETHERFLOW_OUTPUTS) line ${line}: ${why}`);
}

function _key(key: string, line: number): string {
  if (!_KEY_REGEXP.test(key)) {
    throw _bad(line, `invalid key (letters, digits and _ only, not starting with a digit)`);
  }
  return key;
}

/**
 * Parse the outputs file. Later entries override earlier ones. Forms, one per line unless noted:
 * - `key=value` — the value is everything after the first `=` (no trimming), JSON where it parses;
 * - `{"key": value, …}` — a JSON object on one line, or the whole file being one JSON object;
 * - `key<<DELIM`, then lines, then a line `DELIM` — a multi-line value (newline-joined), JSON where it parses;
 * - empty lines are ignored. Anything else fails the step, naming the line.
 */
export function parseOutputsFile(text: string): JsonObject {
  if (new TextEncoder().encode(text).length > OUTPUTS_FILE_MAX_BYTES) {
    throw new StepError(
      `external.process outputs file ($AETHERFLOW_OUTPUTS) is larger than ${OUTPUTS_FILE_MAX_BYTES} bytes`,
    );
  }
  const out: JsonObject = {};
  const whole = text.trim();
  if (whole.startsWith("{")) {
    try {
      const obj: unknown = JSON.parse(whole);
      if (obj !== null && typeof obj === "object" && !Array.isArray(obj)) {
        return _merge(out, obj as JsonObject, 1);
      }
    } catch {
      // not one JSON document: read it line by line
    }
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    const n = i + 1;
    if (line.trim() === "") continue;
    if (line.trimStart().startsWith("{")) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        throw _bad(n, "not a JSON object");
      }
      if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw _bad(n, "not a JSON object");
      _merge(out, obj as JsonObject, n);
      continue;
    }
    const eq = line.indexOf("=");
    const heredoc = _HEREDOC_REGEXP.exec(line);
    if (heredoc && (eq === -1 || eq > line.indexOf("<<"))) {
      const key = _key(heredoc[1]!, n);
      const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, "") === heredoc[2]);
      if (end === -1) throw _bad(n, `no closing line ${JSON.stringify(heredoc[2])}`);
      out[key] = _value(lines.slice(i + 1, end).map((l) => l.replace(/\r$/, "")).join("\n"));
      i = end;
      continue;
    }
    if (eq <= 0) throw _bad(n, "expected key=value, key<<DELIM or a JSON object");
    out[_key(line.slice(0, eq), n)] = _value(line.slice(eq + 1));
  }
  return out;
}

function _merge(out: JsonObject, obj: JsonObject, line: number): JsonObject {
  for (const [k, v] of Object.entries(obj)) out[_key(k, line)] = v;
  return out;
}
