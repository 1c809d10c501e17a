// Transactions and row helpers shared by the store and the locks.
import { createHash } from "node:crypto";
import type { Sql } from "./_statements.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/**
 * Run `fn` inside `BEGIN IMMEDIATE … COMMIT` (rollback on error). BEGIN goes through a prepared statement so
 * a busy database reports `errcode` 5 (a node:sqlite quirk) and honours the busy timeout.
 */
export function immediate<T>(db: Sql, fn: () => T): T {
  db.prepare("BEGIN IMMEDIATE").run();
  try {
    const out = fn();
    db.prepare("COMMIT").run();
    return out;
  } catch (err) {
    if (db.isTransaction) db.prepare("ROLLBACK").run();
    throw err;
  }
}

/** Mask every string (keys included) of a JSON value (D18), returning a copy. */
export function maskJson(value: JsonValue, mask: (s: string) => string): JsonValue {
  if (typeof value === "string") return mask(value);
  if (Array.isArray(value)) return value.map((v) => maskJson(v, mask));
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[mask(k)] = maskJson(v, mask);
    return out;
  }
  return value;
}

/** Serialise a JSON value for a `*_json` column, masked; null/undefined stay NULL. */
export function jsonColumn(value: JsonValue | undefined, mask: (s: string) => string): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(maskJson(value, mask));
}

/** Parse a `*_json` column holding an object; null when NULL. */
export function parseJsonObject(text: string | null, what: string): JsonObject | null {
  if (text === null) return null;
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`${what} is not a JSON object`);
  }
  return v as JsonObject;
}

/** Recorded step inputs larger than this (serialised, masked) are replaced by their size and digest. */
export const INPUTS_MAX_BYTES = 64 * 1024;

/**
 * Like {@linkcode jsonColumn}, but a value whose masked JSON exceeds `maxBytes` is stored as
 * `{"_truncated": true, "bytes": n, "sha256": hex}`: a run diff still sees that it changed, and one step fed a
 * large list cannot grow the database without bound.
 */
export function boundedJsonColumn(
  value: JsonValue | undefined,
  mask: (s: string) => string,
  maxBytes: number,
): string | null {
  const text = jsonColumn(value, mask);
  if (text === null) return null;
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return JSON.stringify({ _truncated: true, bytes: bytes.length, sha256 });
}
