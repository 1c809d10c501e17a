// The host's own enforcement of `grants.hosts` for Extism's `http_request` (docs/plugin-security.md "HTTP
// grants"). Extism 1.0.3 checks hosts with a glob matcher before calling this fetch; that check is not relied
// on: every request is checked here after URL parsing, on the URL that is actually fetched.
import { PluginError } from "../../engine/errors.ts";
import { parseHostPattern } from "../abi/host_pattern.ts";
import { hostAllowed } from "./grants.ts";

const _DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };
// Statuses whose Response may not carry a body.
const _NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export interface GrantedFetchOptions {
  /** Canonical host patterns of the effective grant. */
  hosts: readonly string[];
  /** Cap on a response body (the grant's max_output_bytes: the body becomes plugin input). */
  maxBodyBytes: number;
  label: () => string;
}

/** The `fetch` handed to Extism: scheme, host and port checked per request, no redirects, body capped. */
export function grantedFetch(o: GrantedFetchOptions): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw _denied(o, "an unparsable URL");
    }
    const defaultPort = _DEFAULT_PORTS[url.protocol];
    if (defaultPort === undefined) {
      throw _denied(o, `scheme ${JSON.stringify(url.protocol)} (only http and https)`);
    }
    const port = url.port === "" ? defaultPort : Number(url.port);
    if (!hostAllowed(o.hosts, url.hostname, port)) {
      throw _denied(o, `host ${JSON.stringify(`${url.hostname}:${port}`)}`);
    }
    // A redirect is returned to the plugin as is: following it would reach a host nobody checked.
    const response = await fetch(url.href, { ...init, redirect: "manual" });
    const body = await _readCapped(response, o);
    return new Response(_NULL_BODY_STATUSES.has(response.status) ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** The hosts part of each pattern, for Extism's own (first, not trusted) check of `URL.hostname`. */
export function extismAllowedHosts(hosts: readonly string[]): string[] {
  const out = new Set<string>();
  for (const text of hosts) {
    const p = parseHostPattern(text);
    if (typeof p !== "string") out.add(`${p.wildcard ? "*." : ""}${p.host}`);
  }
  return [...out];
}

async function _readCapped(response: Response, o: GrantedFetchOptions): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > o.maxBodyBytes) {
    await response.body?.cancel().catch(() => {});
    throw _tooBig(o, declared);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > o.maxBodyBytes) {
        await reader.cancel().catch(() => {});
        throw _tooBig(o, total);
      }
      chunks.push(value);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function _denied(o: GrantedFetchOptions, what: string): PluginError {
  return new PluginError(
    `Plugin ${o.label()} was refused an HTTP request to ${what}: not granted (grants.hosts)`,
    { code: "plugin:http_denied" },
  );
}

function _tooBig(o: GrantedFetchOptions, bytes: number): PluginError {
  return new PluginError(
    `Plugin ${o.label()} HTTP response body of at least ${bytes} bytes exceeds its cap of ${o.maxBodyBytes} bytes (max_output_bytes)`,
    { code: "plugin:output_cap" },
  );
}
