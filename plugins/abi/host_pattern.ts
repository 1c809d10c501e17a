/**
 * The host pattern grammar of `grants.hosts` and `capabilities.hosts` (docs/plugin-security.md "HTTP grants"):
 *
 * ```
 * pattern  = host [ ":" port ]
 * host     = dns-name | "*." dns-name | ipv4 | "[" ipv6 "]"
 * dns-name = label *( "." label )        ; letters, digits, '-', 1..63 chars, no '-' at either end
 * port     = 1..65535                    ; absent = any port
 * ```
 *
 * `*.example.com` matches any name ending in `.example.com` (not `example.com` itself). A plugin's request (not
 * an operator's grant) may also be a bare `*`: any host, so the grant alone decides. Anything else (`!`,
 * `?`, `[…]` classes, braces, `*` inside a label, a bare `*`, a trailing dot, blanks) is refused where the
 * pattern is written, so no glob library ever interprets it. Pure; no I/O.
 * @module
 */

/** A parsed host pattern. */
export interface HostPattern {
  /** Canonical lowercase host: a DNS name (without the `*.`), an IPv4 literal or a bracketed IPv6 literal. */
  host: string;
  /** `*.` form: matches strict subdomains of `host`. */
  wildcard: boolean;
  /** A request's bare `*` (host is empty): any host. Never in a grant. */
  any?: boolean;
  /** The port, or null for any port. */
  port: number | null;
}

const _LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const _DNS_REGEXP = new RegExp(`^${_LABEL}(?:\\.${_LABEL})*$`);
const _IPV4_REGEXP = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const _IPV6_REGEXP = /^\[[0-9a-f:.]+\]$/;
const _PORT_REGEXP = /^[1-9]\d{0,4}$/;
const _MAX_DNS_LENGTH = 253;

/** What the grammar accepts, for error messages. */
export const HOST_PATTERN_HELP =
  "expected a hostname (api.example.com), a '*.' wildcard (*.example.com), an IPv4 or [IPv6] literal, " +
  "each with an optional :port";

/**
 * Parse `text`; returns the pattern, or a message saying why it is refused. `allowAny` accepts a bare `*`
 * (a plugin's request only).
 */
export function parseHostPattern(text: string, options: { allowAny?: boolean } = {}): HostPattern | string {
  if (typeof text !== "string" || text === "") return `empty host pattern; ${HOST_PATTERN_HELP}`;
  if (text === "*" && options.allowAny) return { host: "", wildcard: true, any: true, port: null };
  const lower = text.toLowerCase();
  let hostPart = lower;
  let port: number | null = null;
  const portMatch = /^(.*[^:]):([^:\]]*)$/.exec(lower);
  if (portMatch && !(lower.startsWith("[") && !portMatch[1]!.endsWith("]"))) {
    const p = portMatch[2]!;
    if (!_PORT_REGEXP.test(p) || Number(p) > 65535) return `bad port in host pattern ${_show(text)}`;
    hostPart = portMatch[1]!;
    port = Number(p);
  }
  const wildcard = hostPart.startsWith("*.");
  const host = wildcard ? hostPart.slice(2) : hostPart;
  if (_IPV4_REGEXP.test(host) && !wildcard) return { host, wildcard, port };
  if (_IPV6_REGEXP.test(host) && !wildcard) {
    const canonical = _canonicalHost(host);
    if (canonical === null) return `bad IPv6 literal in host pattern ${_show(text)}`;
    return { host: canonical, wildcard, port };
  }
  // A name whose last label is numeric is read as an IPv4 address by URL parsers ("127.1", "x.1").
  if (host.length <= _MAX_DNS_LENGTH && _DNS_REGEXP.test(host) && !/(^|\.)\d+$/.test(host)) {
    return { host, wildcard, port };
  }
  return `not a host pattern: ${_show(text)}; ${HOST_PATTERN_HELP}`;
}

/** The canonical text of a pattern (what the effective grant lists). */
export function formatHostPattern(p: HostPattern): string {
  if (p.any) return "*";
  return `${p.wildcard ? "*." : ""}${p.host}${p.port === null ? "" : `:${p.port}`}`;
}

/** Whether `hostname` (as the URL parser normalised it) and `port` fall under pattern `p`. */
export function patternMatches(p: HostPattern, hostname: string, port: number): boolean {
  if (p.port !== null && p.port !== port) return false;
  if (p.any) return true;
  const h = hostname.toLowerCase();
  return p.wildcard ? h.endsWith(`.${p.host}`) && h.length > p.host.length + 1 : h === p.host;
}

/**
 * The patterns both `a` and `b` allow (as sets of host and port), or null when they are disjoint. Host sets of
 * this grammar are nested or disjoint, so the result is always one of the two hosts.
 */
export function intersectHostPatterns(a: HostPattern, b: HostPattern): HostPattern | null {
  if (a.port !== null && b.port !== null && a.port !== b.port) return null;
  const port = a.port ?? b.port;
  if (_hostCovers(a, b)) return { ...b, port };
  if (_hostCovers(b, a)) return { ...a, port };
  return null;
}

// Whether every host `inner` allows is allowed by `outer`.
function _hostCovers(outer: HostPattern, inner: HostPattern): boolean {
  if (outer.any) return true;
  if (inner.any) return false;
  if (!outer.wildcard) return !inner.wildcard && inner.host === outer.host;
  return inner.host.endsWith(`.${outer.host}`) || (inner.wildcard && inner.host === outer.host);
}

// The WHATWG URL parser's form of a host literal, so patterns compare with `URL.hostname`.
function _canonicalHost(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}

function _show(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
