// Shared by the kind modules: a typed connector over a generic `call(method, args)` (plugin connectors), with
// every result checked by a zod schema, since a plugin is untrusted input.
import type { z } from "zod";
import { PluginError } from "../../errors.ts";
import type { JsonObject, JsonValue } from "../../types.ts";
import type { Connector } from "../types.ts";

export type GenericCall = (method: string, args: JsonValue) => Promise<JsonValue>;

/** Call `method` with `args` (a JSON object keyed by the contract's parameter names) and check the result. */
export async function callChecked<T>(
  call: GenericCall,
  where: { resource: string; method: string },
  args: Record<string, unknown>,
  result: z.ZodType<T>,
): Promise<T> {
  const raw = await call(where.method, JSON.parse(JSON.stringify(args)) as JsonObject);
  const parsed = result.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  throw new PluginError(
    `Connector of resource ${where.resource}: ${where.method} returned an unexpected result${at}: ${
      issue?.message ?? "invalid"
    }`,
  );
}

/** The generic part every adapted connector keeps. */
export function genericPart(connector: Connector): Connector {
  return { resource: connector.resource, call: connector.call, close: connector.close };
}
