// Transactions and row helpers shared by the store and the locks.
import type { SQLOutputValue } from "node:sqlite";
import type { Sql } from "./_statements.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/**
 * Run `fn` inside `BEGIN IMMEDIATE … COMMIT` (rollback on error). BEGIN goes through a prepared statement so
 * a busy database reports `errcode` 5 (stack-notes §1 gotcha) and honours the busy timeout.
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

/** A column as text or null. */
export function textOrNull(v: SQLOutputValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : String(v);
}

/** A column as a number or null. */
export function numOrNull(v: SQLOutputValue | undefined): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : Number(v);
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
