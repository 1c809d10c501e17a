/**
 * The generic `call(method, args)` of a built-in typed connector: the inverse of the `*FromCall` adapters, so a
 * plugin step reaches `sftp:paramiko`, `smb:pysmb`, a database… through `af_connector_call` with the JSON
 * arguments of the connector contract (docs/architecture.md "Connector contract", docs/plugin-abi.md).
 * @module
 */
import { AetherflowError } from "../../errors.ts";
import type { JsonObject, JsonValue } from "../../types.ts";
import type { Connector } from "../types.ts";
import { CONNECTOR_KINDS } from "./mod.ts";

const _ALL_METHODS: ReadonlySet<string> = new Set(
  Object.values(CONNECTOR_KINDS).flatMap((k) => [...k.methods]),
);

/**
 * Call `method` of a typed connector with JSON `args` and return a JSON result: bytes travel as `{base64}`
 * (`read_bytes` result, `write_bytes` argument), `fetchmany` is collected into one `{columns, types, rows}`,
 * dates become ISO text, big integers numbers (text beyond 2^53), nothing (`void`) becomes null.
 * @throws {AetherflowError} `connector:method` when the connector does not implement `method`.
 */
export async function callTyped(connector: Connector, method: string, args: JsonValue): Promise<JsonValue> {
  const target = (connector as unknown as Record<string, unknown>)[method];
  if (!_ALL_METHODS.has(method) || typeof target !== "function") {
    throw new AetherflowError(`the connector of resource '${connector.resource}' has no method ${method}`, {
      code: "connector:method",
    });
  }
  const input: Record<string, unknown> = { ...(_isObject(args) ? args : {}) };
  if (method === "write_bytes" && typeof input.base64 === "string") {
    input.data = Uint8Array.from(atob(input.base64), (c) => c.charCodeAt(0));
    delete input.base64;
  }
  if (method.startsWith("fetch") || method === "execute") input.params ??= {};
  const result = await (target as (a: unknown) => Promise<unknown>).call(connector, input);
  if (method === "fetchmany" && _isObject(result)) {
    const stream = result as unknown as {
      columns: string[];
      types: unknown[];
      batches: AsyncIterable<unknown[][]>;
    };
    const rows: unknown[][] = [];
    for await (const batch of stream.batches) rows.push(...batch);
    return toJson({ columns: stream.columns, types: stream.types, rows });
  }
  return toJson(result);
}

/** A value as JSON (see {@link callTyped}). */
export function toJson(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) {
    let bin = "";
    for (const b of value) bin += String.fromCharCode(b);
    return { base64: btoa(bin) };
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}

function _isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
