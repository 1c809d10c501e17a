/**
 * The `rest` connector kind: HTTP requests relative to the resource's base URL (see docs/connectors.md "rest").
 * HTTP error statuses are returned, not thrown; only transport failures throw.
 * @module
 */
import { z } from "zod";
import type { Connector } from "../types.ts";
import { callChecked, type GenericCall, genericPart } from "./_adapt.ts";

export interface RestRequest {
  method: string;
  /** Relative to the resource's `base_url`, or absolute. */
  url: string;
  params?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  /** A form body (`application/x-www-form-urlencoded`). */
  data?: Record<string, string>;
  /** A raw text body. */
  content?: string;
  /**
   * A multipart/form-data body: field name -> a file (`local_path` is a host path, mapped and checked for plugin
   * callers); `data` fields are sent beside them.
   */
  files?: Record<string, RestFile>;
  /** Seconds; the resource's `options.timeout` when absent. */
  timeout?: number;
}

export interface RestFile {
  local_path: string;
  /** Default: the file's base name. */
  filename?: string | null;
  content_type?: string | null;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body's bytes as received (built-in drivers, in-process callers such as the bundle http source). */
  body?: Uint8Array;
}

export interface RestConnector extends Connector {
  request(args: RestRequest): Promise<RestResponse>;
}

export const REST_METHODS = ["request"] as const;
export const REST_REQUIRED = REST_METHODS;

const _response = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).default({}),
  text: z.string().default(""),
});

/** A RestConnector over a plugin's generic `call`. */
export function restFromCall(base: Connector & { call: GenericCall }): RestConnector {
  return {
    ...genericPart(base),
    request: (args) =>
      callChecked(base.call, { resource: base.resource, method: "request" }, { ...args }, _response),
  };
}
