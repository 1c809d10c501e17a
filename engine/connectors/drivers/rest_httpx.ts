/**
 * `rest:httpx` on Deno's built-in `fetch` (and `node:https` for `verify_ssl: false`, which fetch cannot do per
 * request). URLs are relative to `config.base_url`; `config.headers` and `config.bearer_token` go on every
 * request; HTTP error statuses are returned, never thrown; only transport failures (refused, reset, timeout,
 * a body cut short) are retried, `options.retry.max_attempts` extra times, `min(2^i, 5)` s apart on the run
 * clock. Redirects are returned, not followed, as httpx does (docs/connectors.md "rest:httpx").
 * @module
 */
import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { z } from "zod";
import { AetherflowError, errorMessage } from "../../errors.ts";
import { isMaskableSecret, isSecretKey } from "../../config/masking.ts";
import { fail, field, fields } from "../../inputs/mod.ts";
import { isMap, type JsonValue } from "../../types.ts";
import type { RestConnector, RestRequest, RestResponse } from "../kinds/mod.ts";
import { defineConnector } from "../types.ts";

export class RestError extends AetherflowError {
  constructor(message: string) {
    super(message, { code: "connector:rest" });
    this.name = "RestError";
  }
}

const _stringMap = field((v, ctx): Record<string, string> => {
  if (!isMap(v)) return fail(ctx, "must be a map");
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "string") out[k] = x;
    else if (typeof x === "number" || typeof x === "boolean") out[k] = String(x);
    else return fail(ctx, `must map names to strings (${k} is not)`);
  }
  return out;
}, { required: false, fallback: {} });

/** Header values that are credentials: Authorization, Cookie, and any secret-named header (`X-Api-Key`). */
function _secretHeaderValues(headers: unknown): unknown[] {
  if (!isMap(headers)) return [];
  return Object.entries(headers)
    .filter(([k]) => /^(authorization|cookie|proxy-authorization)$/i.test(k) || isSecretKey(k))
    .map(([, v]) => v);
}

const _CONFIG = fields.fixedMap({
  base_url: fields.text({ default: "" }),
  headers: _stringMap,
  bearer_token: fields.text({ default: null, scalars: true }),
});

const _OPTIONS = fields.fixedMap({
  timeout: fields.number({ default: null, min: 0 }),
  timeouts: fields.map({ total: fields.number({ default: null, min: 0 }) }),
  verify_ssl: fields.bool({ default: true }),
  ca_file: fields.path({ default: null }),
  retry: fields.map({ max_attempts: fields.int({ default: null, min: 0 }) }),
  retries: fields.int({ default: null, min: 0 }),
  cache: fields.text({ default: null }),
});

const _REQUEST = z.object({
  method: z.string().min(1),
  url: z.string().default(""),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  headers: z.record(z.string(), z.string()).nullish(),
  json: z.unknown().optional(),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
  files: z.record(
    z.string(),
    z.object({ local_path: z.string(), filename: z.string().nullish(), content_type: z.string().nullish() }),
  ).nullish(),
  content: z.string().nullish(),
  timeout: z.number().positive().nullish(),
});

/** httpx's merge: a relative `url` is appended to the base URL's path; an absolute one is used as is. */
export function joinUrl(baseUrl: string, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  if (baseUrl === "") {
    throw new RestError(`REST url ${JSON.stringify(url)} is relative and there is no base_url`);
  }
  return `${baseUrl}/${url.replace(/^\/+/, "")}`;
}

/** The URL as messages show it: no user info, no query (either can carry credentials). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return url.replace(/\?.*$/, "?…");
  }
}

interface _Body {
  bytes?: Uint8Array<ArrayBuffer>;
  contentType?: string;
}

async function _body(req: z.output<typeof _REQUEST>): Promise<_Body> {
  const data = Object.fromEntries(Object.entries(req.data ?? {}).map(([k, v]) => [k, String(v)]));
  if (req.files && Object.keys(req.files).length > 0) {
    const form = new FormData();
    for (const [k, v] of Object.entries(data)) form.append(k, v);
    for (const [field, f] of Object.entries(req.files)) {
      const blob = await openAsBlob(f.local_path, f.content_type ? { type: f.content_type } : undefined);
      form.append(field, blob, f.filename ?? basename(f.local_path));
    }
    // Serialised once, so a retry resends the same bytes and both transports take the same body.
    const r = new Request("http://body.invalid/", { method: "POST", body: form });
    return { bytes: new Uint8Array(await r.arrayBuffer()), contentType: r.headers.get("content-type")! };
  }
  if (req.json !== undefined && req.json !== null) {
    return { bytes: new TextEncoder().encode(JSON.stringify(req.json)), contentType: "application/json" };
  }
  if (req.data) {
    return {
      bytes: new TextEncoder().encode(new URLSearchParams(data).toString()),
      contentType: "application/x-www-form-urlencoded",
    };
  }
  if (req.content !== undefined && req.content !== null) {
    return { bytes: new TextEncoder().encode(req.content) };
  }
  return {};
}

interface _Sent {
  method: string;
  url: string;
  headers: Headers;
  body?: Uint8Array<ArrayBuffer>;
  signal: AbortSignal;
}

/** One attempt through `node:https` with verification off. */
async function _insecure(s: _Sent): Promise<RestResponse> {
  const https = await import("node:https");
  return await new Promise<RestResponse>((resolve, reject) => {
    const headers: Record<string, string> = {};
    s.headers.forEach((v, k) => (headers[k] = v));
    if (s.body) headers["content-length"] = String(s.body.length);
    const req = https.request(s.url, {
      method: s.method,
      headers,
      rejectUnauthorized: false,
      signal: s.signal,
    }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("the server closed the connection mid-response")));
      res.on("end", () => {
        if (!res.complete) return reject(new Error("the server closed the connection mid-response"));
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
        }
        const total = chunks.reduce((n, c) => n + c.length, 0);
        const all = new Uint8Array(total);
        let at = 0;
        for (const c of chunks) (all.set(c, at), at += c.length);
        resolve({
          status: res.statusCode ?? 0,
          headers: out,
          text: new TextDecoder().decode(all),
          body: all,
        });
      });
    });
    req.on("error", reject);
    req.end(s.body);
  });
}

async function _viaFetch(s: _Sent, client: Deno.HttpClient | undefined): Promise<RestResponse> {
  const res = await fetch(s.url, {
    method: s.method,
    headers: s.headers,
    body: s.body,
    signal: s.signal,
    redirect: "manual",
    ...(client ? { client } : {}),
  });
  // Inside the attempt: a stalled or cut body is a transport failure too.
  const body = new Uint8Array(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { status: res.status, headers, text: new TextDecoder().decode(body), body };
}

/** A transport failure in words: the cause, not fetch's wrapper (which quotes the whole URL). */
function _reason(err: unknown, timeoutS: number): string {
  const e = err as { name?: string; cause?: unknown };
  if (e.name === "TimeoutError") return `timed out after ${timeoutS} s`;
  const cause = e.cause !== undefined ? errorMessage(e.cause) : "";
  return cause || errorMessage(err);
}

export const restHttpx = defineConnector({
  kind: "rest",
  driver: "httpx",
  origin: "builtin",
  config: _CONFIG,
  options: _OPTIONS,
  secrets: (c) => [c.bearer_token, ..._secretHeaderValues(c.headers)],
  async create(resource, ctx): Promise<RestConnector> {
    const cfg = resource.config;
    const opt = resource.options;
    const baseUrl = cfg.base_url.replace(/\/+$/, "");
    const timeoutS = opt.timeout || opt.timeouts.total || 30;
    const extra = opt.retry.max_attempts ?? opt.retries ?? 0;
    const secrets: string[] = [];
    const secret = (v: string | null | undefined) => {
      if (v && isMaskableSecret(v)) (secrets.push(v), ctx.addSecret?.(v));
    };
    const baseHeaders = new Headers(cfg.headers);
    for (const v of _secretHeaderValues(cfg.headers)) secret(v as string);
    secret(cfg.bearer_token);
    // The exact key `Authorization` given in headers wins over bearer_token (httpx parity).
    if (cfg.bearer_token && !Object.hasOwn(cfg.headers, "Authorization")) {
      baseHeaders.set("Authorization", `Bearer ${cfg.bearer_token}`);
    }
    const client = opt.ca_file === null
      ? undefined
      : Deno.createHttpClient({ caCerts: [await Deno.readTextFile(opt.ca_file)] });
    const scrub = (text: string) => secrets.reduce((t, s) => t.replaceAll(s, "***"), text);

    const request = async (args: RestRequest): Promise<RestResponse> => {
      const parsed = _REQUEST.safeParse(args);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new RestError(`rest:httpx request: ${issue.path.join(".") || "arguments"}: ${issue.message}`);
      }
      const req = parsed.data;
      const method = req.method.toUpperCase();
      const url = new URL(joinUrl(baseUrl, req.url));
      for (const [k, v] of Object.entries(req.params ?? {})) url.searchParams.append(k, String(v));
      const headers = new Headers(baseHeaders);
      const body = await _body(req);
      if (body.contentType) headers.set("content-type", body.contentType);
      for (const [k, v] of Object.entries(req.headers ?? {})) headers.set(k, v);
      const seconds = req.timeout ?? timeoutS;
      const insecure = !opt.verify_ssl && url.protocol === "https:";
      const attempts = 1 + extra;
      let last = "";
      for (let i = 0; i < attempts; i++) {
        ctx.signal.throwIfAborted();
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(seconds * 1000)]);
        const sent = { method, url: url.href, headers, body: body.bytes, signal };
        try {
          const res = insecure ? await _insecure(sent) : await _viaFetch(sent, client);
          ctx.log.debug(`REST ${method} ${displayUrl(url.href)} -> ${res.status}`);
          return res;
        } catch (err) {
          if (ctx.signal.aborted) {
            throw new RestError(`REST ${method} ${displayUrl(url.href)} stopped: the run was terminated`);
          }
          last = scrub(_reason(err, seconds).replaceAll(url.href, displayUrl(url.href)));
          if (i + 1 < attempts) {
            const wait = Math.min(2 ** i, 5);
            ctx.log.warn(
              `REST ${method} ${displayUrl(url.href)} attempt ${
                i + 1
              }/${attempts} failed: ${last}; retrying in ${wait} s`,
            );
            await ctx.clock.sleep(wait * 1000, ctx.signal);
          }
        }
      }
      throw new RestError(
        `REST request failed after ${attempts} attempt(s): ${method} ${displayUrl(url.href)}: ${last}`,
      );
    };

    const connector = {
      resource: resource.name,
      request,
      get: (url: string, more: Partial<RestRequest> = {}) => request({ ...more, method: "GET", url }),
      post: (url: string, more: Partial<RestRequest> = {}) => request({ ...more, method: "POST", url }),
      put: (url: string, more: Partial<RestRequest> = {}) => request({ ...more, method: "PUT", url }),
      delete: (url: string, more: Partial<RestRequest> = {}) => request({ ...more, method: "DELETE", url }),
      base_url: () => baseUrl,
      /** Plugins (`af_connector_call`): `request`, `get/post/put/delete` (same arguments), `base_url`. */
      async call(method: string, args: JsonValue): Promise<JsonValue> {
        const a = (isMap(args) ? args : {}) as Record<string, unknown>;
        if (method === "base_url") return baseUrl;
        // Plugins get `{status, headers, text}`: the raw bytes stay in-process.
        const json = ({ status, headers, text }: RestResponse) => ({ status, headers, text });
        if (method === "request") return json(await request(a as unknown as RestRequest));
        if (["get", "post", "put", "delete"].includes(method)) {
          return json(await request({ ...a, method: method.toUpperCase() } as unknown as RestRequest));
        }
        throw new RestError(`rest:httpx has no method ${JSON.stringify(method)}`);
      },
      close() {
        client?.close();
      },
    };
    return connector;
  },
});
